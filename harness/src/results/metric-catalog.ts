import type { LatencySummary, LostWrites, OperationMetrics, RunResult } from './results-schema.js'

// The metrics of a run, one entry each: the name a threshold uses (k6's), its k6 type, its unit,
// which direction is better, words for people, and how it is read from a run in results.json.
// Thresholds (which stats apply, how a value is measured, how it is printed) read this catalog;
// a new metric is a field in RunMetrics (results-schema.ts), the code that fills it, and an entry
// here (CONTRIBUTING.md walks through one).

/** k6's metric model: a trend has avg/min/med/max/p(N), a counter count and rate (per second), a rate metric rate (a share of 0..1). */
export type MetricType = 'trend' | 'counter' | 'rate'

/** What a value of the metric is measured in: `ms` (trends), `count` (counters), `share` (0..1). */
export type MetricUnit = 'ms' | 'count' | 'share'

/** The stats a threshold may name for each type (`p(N)` for any percentile). */
export const STATS_BY_TYPE: Record<MetricType, readonly string[]> = {
  trend: ['avg', 'min', 'med', 'max', 'p(N)'],
  counter: ['count', 'rate'],
  rate: ['rate'],
}

/** A metric's value in one run, as its type reads. */
export type MetricReading =
  | {
      type: 'trend'
      summary: LatencySummary
      /** True when percentiles beyond the summary's can be read from the run's histogram (overall http_req_duration only). */
      fromHistogram?: boolean
    }
  | { type: 'counter'; count: number /** Per second; count / duration when left out. */; rate?: number }
  | { type: 'rate'; rate: number }

/**
 * What reading a run gives: a value, or why there is none. `note`: worth showing beside the value.
 * `failure`: the value exists but a threshold on it fails whatever it compares to (the run could
 * not check what the metric counts).
 */
export type MetricRead = (MetricReading & { note?: string; failure?: string }) | { error: string }

export interface MetricDefinition {
  type: MetricType
  unit: MetricUnit
  /** Which way is better: `false` for latency, errors, drops. */
  higherIsBetter: boolean
  /** Words for sentences and table headers: "request latency". */
  label: string
  /** Called once per run and threshold: the run's value. */
  read(run: RunResult): MetricRead
  /** For metrics the recorder keeps per operation: the value for one operation (`{op:...}` thresholds). */
  readForOperation?(op: OperationMetrics): MetricReading
}

/** Every metric of a run, by its k6 name. Add an entry here for a new metric; the order is the order of error messages. */
export const METRIC_CATALOG = {
  http_reqs: {
    type: 'counter',
    unit: 'count',
    higherIsBetter: true,
    label: 'requests',
    read: (r) => ({ type: 'counter', count: r.metrics.http_reqs.count, rate: r.metrics.http_reqs.rate }),
    readForOperation: (op) => ({ type: 'counter', count: op.http_reqs.count, rate: op.http_reqs.rate }),
  },
  http_req_duration: {
    type: 'trend',
    unit: 'ms',
    higherIsBetter: false,
    label: 'request latency',
    // Coordinated-omission corrected in the open model.
    read: (r) => ({ type: 'trend', summary: r.metrics.http_req_duration, fromHistogram: true }),
    readForOperation: (op) => ({ type: 'trend', summary: op.http_req_duration }),
  },
  http_req_duration_uncorrected: {
    type: 'trend',
    unit: 'ms',
    higherIsBetter: false,
    label: 'request latency from the actual send time',
    read: (r) => ({ type: 'trend', summary: r.metrics.http_req_duration_uncorrected }),
  },
  http_req_failed: {
    type: 'rate',
    unit: 'share',
    higherIsBetter: false,
    label: 'error rate',
    read: (r) => ({ type: 'rate', rate: r.metrics.http_req_failed.rate }),
    readForOperation: (op) => ({ type: 'rate', rate: op.http_req_failed.rate }),
  },
  availability: {
    type: 'rate',
    unit: 'share',
    higherIsBetter: true,
    label: 'availability',
    read: (r) => ({ type: 'rate', rate: r.metrics.availability.rate }),
  },
  cache_hit_rate: {
    type: 'rate',
    unit: 'share',
    higherIsBetter: true,
    label: 'cache hit rate',
    read: (r) =>
      r.metrics.cache_hit_rate
        ? { type: 'rate', rate: r.metrics.cache_hit_rate.rate }
        : {
            error:
              'cache_hit_rate was not measured in this run (no member caches, or its /metrics could not be scraped); scope the threshold to caching cells, e.g. cache_hit_rate{cache:lru}',
          },
  },
  // A counter as in k6: its `rate` is arrivals dropped per second. For "share of arrivals
  // dropped" compare dropped_iterations count with http_reqs count.
  dropped_iterations: {
    type: 'counter',
    unit: 'count',
    higherIsBetter: false,
    label: 'dropped arrivals',
    read: (r) => ({ type: 'counter', count: r.metrics.dropped_iterations.count, rate: r.metrics.dropped_iterations.rate }),
  },
  stale_reads: {
    type: 'counter',
    unit: 'count',
    higherIsBetter: false,
    label: 'stale reads',
    read: (r) => ({ type: 'counter', count: r.metrics.stale_reads.count }),
  },
  lost_writes: {
    type: 'counter',
    unit: 'count',
    higherIsBetter: false,
    label: 'lost writes',
    read: (r) =>
      r.metrics.lost_writes ? readLostWrites(r.metrics.lost_writes) : { type: 'counter', count: 0, note: 'the run made no writes, so none could be lost' },
  },
  // Sync strategies: from the CRM's acknowledgement of a change to downstream applying it.
  sync_lag: {
    type: 'trend',
    unit: 'ms',
    higherIsBetter: false,
    label: 'sync lag',
    read: (r) => (r.metrics.sync_lag ? { type: 'trend', summary: r.metrics.sync_lag } : { error: noSync(r, 'sync_lag') }),
  },
  sync_missing: {
    type: 'counter',
    unit: 'count',
    higherIsBetter: false,
    label: 'changes missing downstream',
    read: (r) => (r.metrics.sync_missing ? { type: 'counter', count: r.metrics.sync_missing.count } : { error: noSync(r, 'sync_missing') }),
  },
  sync_duplicates: {
    type: 'counter',
    unit: 'count',
    higherIsBetter: false,
    label: 'changes delivered again',
    read: (r) => (r.metrics.sync_duplicates ? { type: 'counter', count: r.metrics.sync_duplicates.count } : { error: noSync(r, 'sync_duplicates') }),
  },
  // HTTP scenarios: the share of check conditions that held (k6's checks).
  checks: {
    type: 'rate',
    unit: 'share',
    higherIsBetter: true,
    label: 'checks passed',
    read: (r) =>
      r.metrics.checks
        ? { type: 'rate', rate: r.metrics.checks.rate }
        : { error: 'no checks were evaluated in this run: give the requests of the `http` section a `check` (status, bodyContains, json)' },
  },
} as const satisfies Record<string, MetricDefinition>

function noSync(run: RunResult, metric: string): string {
  return run.sync === undefined
    ? `${metric} was not measured: this run has no downstream (topology.sync.strategy is none); scope the threshold to syncing cells, e.g. ${metric}{sync:queue-push}`
    : `${metric} could not be measured in this run: ${run.sync.note ?? 'downstream could not be read'}`
}

// Unverified writes (no usable answer when read back) are neither kept nor lost: a threshold may
// judge the checked ones only when the run's own faults explain the rest, and never when nothing
// at all could be checked.
function readLostWrites(lost: LostWrites): MetricRead {
  const reading = { type: 'counter', count: lost.count } as const
  const unverified = lost.unverified ?? 0
  if (unverified === 0) return reading
  const explained = lost.unverifiedExplainedBy ?? []
  const of = `${unverified} of ${lost.checked + unverified} acknowledged writes could not be read back (5xx or no answer)`
  if (lost.checked === 0) return { ...reading, failure: `${of}, so not one write was verified; lost_writes cannot pass on writes it did not check` }
  if (explained.length === 0)
    return { ...reading, failure: `${of} and no fault of the scenario explains it; lost_writes cannot pass on writes it did not check` }
  return { ...reading, note: `${of}, explained by the run's faults (${explained.join(', ')}); judged on the ${lost.checked} that were read back` }
}

export type MetricName = keyof typeof METRIC_CATALOG

/** Every metric name, in catalog order. */
export const METRIC_NAMES = Object.keys(METRIC_CATALOG) as MetricName[]

export function isKnownMetric(name: string): name is MetricName {
  return Object.hasOwn(METRIC_CATALOG, name)
}

/** The catalog entry of `name`, typed as the general definition (so optional members can be asked for). */
export function metricDefinition(name: MetricName): MetricDefinition {
  return METRIC_CATALOG[name]
}
