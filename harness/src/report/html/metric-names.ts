import type { ValueFormat } from './chart-spec.js'
import { formatMs, formatNumber, formatPercent, formatRps } from './format.js'

// Display names, units and direction of the analysis's metric keys ("rps", "p95", ...).

export interface MetricInfo {
  title: string
  format: ValueFormat
  higherIsBetter: boolean
  show: (v: number) => string
}

const KNOWN: Record<string, MetricInfo> = {
  rps: { title: 'Throughput (req/s)', format: 'rps', higherIsBetter: true, show: formatRps },
  p50: { title: 'p50 latency (ms)', format: 'ms', higherIsBetter: false, show: formatMs },
  p90: { title: 'p90 latency (ms)', format: 'ms', higherIsBetter: false, show: formatMs },
  p95: { title: 'p95 latency (ms)', format: 'ms', higherIsBetter: false, show: formatMs },
  p99: { title: 'p99 latency (ms)', format: 'ms', higherIsBetter: false, show: formatMs },
  error_rate: { title: 'Error rate', format: 'percent', higherIsBetter: false, show: formatPercent },
  cache_hit_rate: { title: 'Cache hit rate', format: 'percent', higherIsBetter: true, show: formatPercent },
  availability: { title: 'Availability', format: 'percent', higherIsBetter: true, show: formatPercent },
}

/** Order in which metrics are shown: the ones people ask about first. */
export const METRIC_ORDER = ['rps', 'p95', 'p99', 'p50', 'p90', 'error_rate', 'availability', 'cache_hit_rate']

export function metricInfo(key: string): MetricInfo {
  return KNOWN[key] ?? { title: key, format: 'number', higherIsBetter: true, show: formatNumber }
}
