import type { Interval, RunResult } from '../results/results-schema.js'
import type { AnalysisMetricDefinition } from './analysis-metrics.js'
import { studentTCritical } from './student-t.js'
import { observeRuns, varianceComponents, varianceOfGroupMean, type RunObservation, type VarianceComponents } from './variance-components.js'

// Intervals for a cell (a group of repetitions) and for the change from one group to another,
// from the random-effects model in variance-components.ts: within-run batches and between-run
// spread together. Ratio metrics (throughput, latency) are modelled on the log scale, so their
// intervals are multiplicative and never cross 0; shares (error rate, hit rate) on their own
// scale, cut at 0 and 1.
//
// With one run on each side there is no way to know how much runs of one configuration differ
// from each other, and that is usually the larger part of the noise: such a comparison gets NO
// interval (`noInterval` says why) instead of a within-run interval that would look precise.

export const CONFIDENCE = 0.95

export interface GroupIntervalOptions {
  confidence?: number
}

/** "95" for 0.95. */
export function pct(x: number): string {
  return String(Math.round(x * 1000) / 10)
}

/** An estimate the data cannot put an interval on; lo = hi = estimate, `noInterval` says why. */
export function noInterval(estimate: number, n: number, reason: string): Interval {
  return { estimate, lo: estimate, hi: estimate, n, method: `no interval: ${reason}`, noInterval: reason }
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, v) => s + v, 0) / xs.length
}

/** A standard deviation on the analysis scale in words: "4.1%" (log scale ≈ relative) or "0.12 pp". */
function sdText(def: AnalysisMetricDefinition, variance: number): string {
  const sd = Math.sqrt(Math.max(0, variance))
  return def.scale === 'ratio' ? `${(sd * 100).toFixed(1)}%` : `${(sd * 100).toFixed(2)} pp`
}

function batchText(groups: readonly (readonly RunObservation[])[]): string {
  const runs = groups.flat()
  const withBatches = runs.filter((r) => r.batches.length >= 2)
  if (withBatches.length === 0) return 'runs too short for batches'
  const ks = [...new Set(withBatches.map((r) => r.batches.length))]
  const bs = [...new Set(withBatches.map((r) => r.batchS))]
  return `${ks.join('/')} batches of ${bs.join('/')} s per run`
}

/** How the interval was made, in words, for Interval.method. */
function describe(def: AnalysisMetricDefinition, c: VarianceComponents, groups: readonly (readonly RunObservation[])[], confidence: number): string {
  const runs = c.runsPerGroup.join(' vs ')
  const head = `random effects over ${runs} run${c.runsPerGroup.every((n) => n === 1) ? '' : 's'} (${batchText(groups)}, seconds' autocorrelation ${c.autocorrelation.toFixed(2)})`
  const within = c.withinPerRun === null ? null : sdText(def, c.withinPerRun)
  if (c.betweenPerRun === null) {
    return `${head}: within-run noise only (${within} per run, ${c.df} df, ${pct(confidence)}%); a single run cannot show how much repetitions differ, so this interval is too narrow by an unknown amount`
  }
  if (c.source === 'between') {
    return `${head}: runs differ more than their own noise explains (run-to-run ${sdText(def, c.runToRun)}${within ? `, within-run ${within}` : ''}), so the spread between runs sets the interval (${c.df} df, ${pct(confidence)}%)`
  }
  return `${head}: runs agree within their own noise (within-run ${within} per run, between-run mean square ${sdText(def, c.betweenPerRun)}), so the within-run batches set the interval (${c.df} df, ${pct(confidence)}%)`
}

/** Interval for one metric of one cell; null when no run of the cell measured it. */
export function cellMetricInterval(def: AnalysisMetricDefinition, runs: readonly RunResult[], opts: GroupIntervalOptions = {}): Interval | null {
  const obs = observeRuns(def, runs)
  if (obs.length === 0) return null
  const confidence = opts.confidence ?? CONFIDENCE
  const estimate = mean(obs.map((o) => o.raw))
  const c = varianceComponents([obs], { share: def.unit === 'share' })!
  const n = obs.length
  if (c.withinPerRun === null && c.betweenPerRun === null) return noInterval(estimate, n, 'a single run too short for batches (< 4 s of time series)')
  const v = varianceOfGroupMean(c, 0)
  if (!(v > 0)) return noInterval(estimate, n, 'no variation within or between runs')
  const half = studentTCritical(1 - confidence, c.df) * Math.sqrt(v)
  const method = describe(def, c, [obs], confidence)
  if (def.scale === 'ratio') return { estimate, lo: estimate * Math.exp(-half), hi: estimate * Math.exp(half), n, method, df: c.df }
  const hi = def.unit === 'share' ? Math.min(1, estimate + half) : estimate + half
  return { estimate, lo: Math.max(0, estimate - half), hi, n, method, df: c.df }
}

/**
 * The change from group a to group b: b/a − 1 of the geometric means for ratio metrics, b − a of
 * the means for shares, with the
 * random-effects interval. Null when either side lacks the metric. With one run per side the
 * result has `noInterval` ("1 run each"): nothing measured says how much runs differ.
 */
export function compareGroups(
  def: AnalysisMetricDefinition,
  aRuns: readonly RunResult[],
  bRuns: readonly RunResult[],
  opts: GroupIntervalOptions = {},
): Interval | null {
  const a = observeRuns(def, aRuns)
  const b = observeRuns(def, bRuns)
  if (a.length === 0 || b.length === 0) return null
  const confidence = opts.confidence ?? CONFIDENCE
  const n = a.length + b.length
  // Ratio metrics: the change of the geometric means, the centre the log-scale variance belongs
  // to. A ratio of arithmetic means is swung by one disturbed run (p95 of 1 s among runs of
  // 10 ms) far beyond what the log-scale spread allows for, and a gate would cry wolf on it.
  const ma = mean(a.map((o) => (def.scale === 'ratio' ? o.value : o.raw)))
  const mb = mean(b.map((o) => (def.scale === 'ratio' ? o.value : o.raw)))
  const estimate = def.scale === 'ratio' ? Math.exp(mb - ma) - 1 : mb - ma
  const c = varianceComponents([a, b], { share: def.unit === 'share' })!
  if (c.betweenPerRun === null) return noInterval(estimate, n, '1 run each, no interval')
  const v = varianceOfGroupMean(c, 0) + varianceOfGroupMean(c, 1)
  if (!(v > 0)) return noInterval(estimate, n, 'no variation within or between runs')
  const half = studentTCritical(1 - confidence, c.df) * Math.sqrt(v)
  const method = describe(def, c, [a, b], confidence)
  if (def.scale === 'ratio') return { estimate, lo: Math.exp(mb - ma - half) - 1, hi: Math.exp(mb - ma + half) - 1, n, method, df: c.df }
  return { estimate, lo: estimate - half, hi: estimate + half, n, method, df: c.df }
}

/** An interval shows a real difference when it exists and excludes zero. */
export function excludesZero(i: Interval): boolean {
  return !i.noInterval && (i.lo > 0 || i.hi < 0)
}
