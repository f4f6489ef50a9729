import { METRIC_CATALOG, type MetricName } from '../results/metric-catalog.js'
import type { RunResult, TimePoint } from '../results/results-schema.js'

// The metrics that cell summaries, comparisons and baselines talk about, and how to read each
// from a run: its overall value, and the per-second statistic that the time-series bootstrap
// resamples when a cell has a single repetition.

export const ANALYSIS_METRICS = ['rps', 'p50', 'p95', 'p99', 'error_rate', 'cache_hit_rate'] as const
export type AnalysisMetric = (typeof ANALYSIS_METRICS)[number]

export interface AnalysisMetricDefinition {
  key: AnalysisMetric
  /** Used in sentences: "p95 latency", "throughput". */
  label: string
  unit: 'req/s' | 'ms' | 'share'
  /** The run metric (metric-catalog.ts) this one summarizes: it says which direction is better. */
  of: MetricName
  higherIsBetter: boolean
  /**
   * 'ratio': changes are relative ((b-a)/a), for strictly positive quantities.
   * 'difference': changes are absolute (b-a), for rates that are often exactly 0 (error rate),
   * where a relative change would be infinite or meaningless.
   */
  scale: 'ratio' | 'difference'
  /** Called once per run: the run's figure, or null when the run did not measure it. */
  overall(run: RunResult): number | null
  /** Called per bootstrap resample of seconds: the same quantity over those seconds, or null. */
  overSeconds(points: readonly TimePoint[]): number | null
}

function weightedPercentile(points: readonly TimePoint[], pick: (p: TimePoint) => number): number | null {
  let num = 0
  let den = 0
  for (const p of points) {
    if (p.reqs > 0 && Number.isFinite(pick(p))) {
      num += pick(p) * p.reqs
      den += p.reqs
    }
  }
  return den > 0 ? num / den : null
}

/** `of` and its direction, from the catalog. */
function summarizes(metric: MetricName): Pick<AnalysisMetricDefinition, 'of' | 'higherIsBetter'> {
  return { of: metric, higherIsBetter: METRIC_CATALOG[metric].higherIsBetter }
}

export const ANALYSIS_METRIC_DEFINITIONS: Record<AnalysisMetric, AnalysisMetricDefinition> = {
  rps: {
    key: 'rps',
    label: 'throughput',
    unit: 'req/s',
    ...summarizes('http_reqs'),
    scale: 'ratio',
    overall: (r) => r.metrics.http_reqs.rate,
    overSeconds: (pts) => (pts.length > 0 ? pts.reduce((s, p) => s + p.reqs, 0) / pts.length : null),
  },
  p50: {
    key: 'p50',
    label: 'p50 latency',
    unit: 'ms',
    ...summarizes('http_req_duration'),
    scale: 'ratio',
    overall: (r) => (r.metrics.http_req_duration.count > 0 ? r.metrics.http_req_duration.p50 : null),
    overSeconds: (pts) => weightedPercentile(pts, (p) => p.p50),
  },
  p95: {
    key: 'p95',
    label: 'p95 latency',
    unit: 'ms',
    ...summarizes('http_req_duration'),
    scale: 'ratio',
    overall: (r) => (r.metrics.http_req_duration.count > 0 ? r.metrics.http_req_duration.p95 : null),
    overSeconds: (pts) => weightedPercentile(pts, (p) => p.p95),
  },
  p99: {
    key: 'p99',
    label: 'p99 latency',
    unit: 'ms',
    ...summarizes('http_req_duration'),
    scale: 'ratio',
    overall: (r) => (r.metrics.http_req_duration.count > 0 ? r.metrics.http_req_duration.p99 : null),
    overSeconds: (pts) => weightedPercentile(pts, (p) => p.p99),
  },
  error_rate: {
    key: 'error_rate',
    label: 'error rate',
    unit: 'share',
    ...summarizes('http_req_failed'),
    scale: 'difference',
    overall: (r) => r.metrics.http_req_failed.rate,
    overSeconds: (pts) => {
      const reqs = pts.reduce((s, p) => s + p.reqs, 0)
      return reqs > 0 ? pts.reduce((s, p) => s + p.errors, 0) / reqs : null
    },
  },
  cache_hit_rate: {
    key: 'cache_hit_rate',
    label: 'cache hit rate',
    unit: 'share',
    ...summarizes('cache_hit_rate'),
    scale: 'difference',
    overall: (r) => r.metrics.cache_hit_rate?.rate ?? null,
    overSeconds: (pts) => {
      const rates = pts.map((p) => p.cacheHitRate).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
      return rates.length > 0 ? rates.reduce((s, v) => s + v, 0) / rates.length : null
    },
  },
}

/** Formats a value of `metric` for sentences and tables. */
export function formatMetricValue(metric: AnalysisMetric, value: number): string {
  const def = ANALYSIS_METRIC_DEFINITIONS[metric]
  if (def.unit === 'share') return `${(value * 100).toFixed(value < 0.01 ? 2 : 1)}%`
  if (def.unit === 'ms') return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`
  return `${Math.round(value).toLocaleString('en-US')} req/s`
}
