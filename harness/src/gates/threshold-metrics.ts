// The metrics a threshold can name, k6's metric model: a trend has avg/min/med/max/p(N), a
// counter has count and rate (per second), a rate metric has rate (a share of 0..1).
// dropped_iterations stays a counter as in k6 (its `rate` is arrivals dropped per second); for
// "share of arrivals dropped" compare dropped_iterations count with http_reqs count.

export type MetricType = 'trend' | 'counter' | 'rate'

export const THRESHOLD_METRICS = {
  http_reqs: 'counter',
  http_req_duration: 'trend',
  http_req_duration_uncorrected: 'trend',
  http_req_failed: 'rate',
  availability: 'rate',
  cache_hit_rate: 'rate',
  dropped_iterations: 'counter',
  stale_reads: 'counter',
  lost_writes: 'counter',
  sync_lag: 'trend',
  sync_missing: 'counter',
  sync_duplicates: 'counter',
  /** HTTP scenarios: share of check conditions that held (k6's checks). */
  checks: 'rate',
} as const satisfies Record<string, MetricType>

export type ThresholdMetricName = keyof typeof THRESHOLD_METRICS

export const STATS_BY_TYPE: Record<MetricType, readonly string[]> = {
  trend: ['avg', 'min', 'med', 'max', 'p(N)'],
  counter: ['count', 'rate'],
  rate: ['rate'],
}

/**
 * Tags that select a part of the data rather than a run: `op` (per-operation metrics),
 * `status` (http_reqs by status code), `backend` and `shard` (request counts from the SUT).
 * Every other tag key (`run`, `cell`, or a matrix key like `cache`) selects which runs the
 * threshold applies to.
 */
export const DATA_TAGS = ['op', 'status', 'backend', 'shard'] as const

export function isKnownMetric(name: string): name is ThresholdMetricName {
  return Object.prototype.hasOwnProperty.call(THRESHOLD_METRICS, name)
}
