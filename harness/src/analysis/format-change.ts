import type { Interval } from '../results/results-schema.js'
import type { AnalysisMetricDefinition } from './analysis-metrics.js'

// How changes read in every sentence LoadLab writes (comparisons, baseline gate, verdict, compare
// command): one place, so "+45% (95% CI +31% to +60%)" and "cannot tell (1 run each, no
// interval)" read the same in the console, the report and the CI summary.

const MINUS = '−'

/** A relative change as a signed percentage: "+4.5%", "−12%", "+1,052%". */
export function signedPercent(x: number): string {
  const v = Math.abs(x * 100)
  const text = v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')
  return `${x < 0 && text !== '0.0' ? MINUS : '+'}${text}%`
}

/** An absolute change of a share in percentage points: "+0.20 pp". */
export function signedPoints(x: number): string {
  const text = Math.abs(x * 100).toFixed(2)
  return `${x < 0 && text !== '0.00' ? MINUS : '+'}${text} pp`
}

/** The change in the metric's own terms: relative for ratio metrics, points for shares. */
export function signedChange(def: AnalysisMetricDefinition, x: number): string {
  return def.scale === 'ratio' ? signedPercent(x) : signedPoints(x)
}

/** "+45% (95% CI +31% to +60%)", or "−9.7% (1 run each, no interval)" when there is none. */
export function changeWithInterval(def: AnalysisMetricDefinition, i: Interval, confidence = 0.95): string {
  if (i.noInterval) return `${signedChange(def, i.estimate)} (${i.noInterval})`
  return `${signedChange(def, i.estimate)} (${Math.round(confidence * 100)}% CI ${signedChange(def, i.lo)} to ${signedChange(def, i.hi)})`
}
