import { isKnownMetric, METRIC_CATALOG, type MetricName, type MetricType, STATS_BY_TYPE } from '../results/metric-catalog.js'

// The metrics a threshold can name are the run's metrics (results/metric-catalog.ts): k6's names
// and types, so a scenario's thresholds read as k6's do.

export { isKnownMetric, STATS_BY_TYPE, type MetricType }
export type ThresholdMetricName = MetricName

/** Each metric's k6 type, by name. */
export const THRESHOLD_METRICS = Object.fromEntries(Object.entries(METRIC_CATALOG).map(([name, def]) => [name, def.type])) as {
  [N in MetricName]: (typeof METRIC_CATALOG)[N]['type']
}

/**
 * Tags that select a part of the data rather than a run: `op` (per-operation metrics),
 * `status` (http_reqs by status code), `backend` and `shard` (request counts from the SUT).
 * Every other tag key (`run`, `cell`, or a matrix key like `cache`) selects which runs the
 * threshold applies to.
 */
export const DATA_TAGS = ['op', 'status', 'backend', 'shard'] as const
