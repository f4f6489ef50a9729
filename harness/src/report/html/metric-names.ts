import { ANALYSIS_METRIC_DEFINITIONS, ANALYSIS_METRICS, type AnalysisMetricDefinition } from '../../analysis/analysis-metrics.js'
import { METRIC_CATALOG } from '../../results/metric-catalog.js'
import type { ValueFormat } from './chart-spec.js'
import { formatMs, formatNumber, formatPercent, formatRps } from './format.js'

// Display names, units and direction of the analysis's metric keys ("rps", "p95", ...).

export interface MetricInfo {
  title: string
  format: ValueFormat
  higherIsBetter: boolean
  show: (v: number) => string
}

const FORMAT_BY_UNIT = {
  'req/s': { format: 'rps', show: formatRps },
  ms: { format: 'ms', show: formatMs },
  share: { format: 'percent', show: formatPercent },
} as const satisfies Record<AnalysisMetricDefinition['unit'], Pick<MetricInfo, 'format' | 'show'>>

function fromAnalysis(def: Pick<AnalysisMetricDefinition, 'label' | 'unit' | 'higherIsBetter'>): MetricInfo {
  // "p95 latency" keeps its lower-case p; other labels start a title with a capital.
  const title = /^p\d/.test(def.label) ? def.label : def.label.charAt(0).toUpperCase() + def.label.slice(1)
  return { title: def.unit === 'share' ? title : `${title} (${def.unit})`, higherIsBetter: def.higherIsBetter, ...FORMAT_BY_UNIT[def.unit] }
}

// The analysis's metrics say their own words, units and direction; p90 and availability are
// shown from the run's figures too.
const KNOWN: Record<string, MetricInfo> = {
  ...Object.fromEntries(ANALYSIS_METRICS.map((key) => [key, fromAnalysis(ANALYSIS_METRIC_DEFINITIONS[key])])),
  p90: fromAnalysis({ label: 'p90 latency', unit: 'ms', higherIsBetter: false }),
  availability: fromAnalysis({ label: METRIC_CATALOG.availability.label, unit: 'share', higherIsBetter: METRIC_CATALOG.availability.higherIsBetter }),
}

/** Order in which metrics are shown: the ones people ask about first. */
export const METRIC_ORDER = ['rps', 'p95', 'p99', 'p50', 'p90', 'error_rate', 'availability', 'cache_hit_rate']

export function metricInfo(key: string): MetricInfo {
  return KNOWN[key] ?? { title: key, format: 'number', higherIsBetter: true, show: formatNumber }
}
