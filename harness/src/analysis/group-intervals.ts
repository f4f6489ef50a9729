import { mean, sampleStandardDeviation } from 'simple-statistics'
import type { Interval, RunResult } from '../results/results-schema.js'
import type { AnalysisMetricDefinition } from './analysis-metrics.js'
import { BOOTSTRAP_MIN_N, CONFIDENCE, bootstrapReplicates, meanInterval, pct, pointInterval, quantilePair } from './confidence-interval.js'
import { studentTCritical } from './student-t.js'

// Intervals for a cell (a group of repetitions) and for the difference between two cells.
// Method choice, stated in every Interval.method:
//  - both groups with >= 2 repetitions: the repetitions are the samples (independent runs).
//    ratio metrics: Welch interval on log(mean b / mean a) with delta-method standard errors
//    (n < 10 per side), or a percentile bootstrap of the ratio of means (n >= 10);
//    difference metrics (rates): Welch t-interval on mean b - mean a, or bootstrap.
//  - a group with 1 repetition: its seconds are the samples, in batches (batch means, see
//    batchValues). The batch spread is applied around the run's overall figure (the run's p95
//    comes from its whole histogram, which per-second p95s only approximate). Seconds of one run
//    share the run's conditions, so this interval says "within-run noise" and cannot see
//    run-to-run variation: the method text says so; repetitions are better.
//    (A circular block bootstrap over seconds was tried first: on 30 s runs with realistic
//    autocorrelation its 95% intervals excluded zero in ~11% of same-configuration comparisons;
//    batch means with t quantiles stay near the nominal 5%.)

export interface GroupIntervalOptions {
  confidence?: number
  seed?: number
  iterations?: number
}

function overallValues(def: AnalysisMetricDefinition, runs: readonly RunResult[]): number[] {
  return runs.map((r) => def.overall(r)).filter((v): v is number => v !== null && Number.isFinite(v))
}

/** Seconds per batch for a series of `length` seconds: at least 5 s, at most 10 batches. */
export function batchSeconds(length: number): number {
  return Math.max(5, Math.ceil(length / 10))
}

/**
 * Batch means (the classic method for autocorrelated simulation output, e.g. Law & Kelton):
 * the run's seconds are cut into k consecutive batches of >= 5 s, the statistic is computed per
 * batch, and the k batch values are treated as nearly independent samples with a Student-t
 * (k − 1 df) interval. The few degrees of freedom widen the interval exactly when the run gives
 * little independent information, which a bootstrap over 30 correlated seconds does not do.
 */
function batchValues(def: AnalysisMetricDefinition, runs: readonly RunResult[]): number[] | null {
  const values: number[] = []
  for (const r of runs) {
    const size = batchSeconds(r.timeSeries.length)
    const k = Math.floor(r.timeSeries.length / size)
    for (let j = 0; j < k; j++) {
      const v = def.overSeconds(r.timeSeries.slice(j * size, (j + 1) * size))
      if (v !== null && Number.isFinite(v)) values.push(v)
    }
  }
  return values.length >= 3 ? values : null
}

function batchMethod(runs: readonly RunResult[], k: number, confidence: number): string {
  const secs = runs.reduce((s, r) => s + r.timeSeries.length, 0)
  return `batch means over ${secs} s of one run (${k} batches of ${batchSeconds(runs[0]?.timeSeries.length ?? 0)} s, student-t, ${pct(confidence)}%); within-run noise only, no repetitions`
}

/** Interval for one metric of one cell; null when no run of the cell measured it. */
export function cellMetricInterval(def: AnalysisMetricDefinition, runs: readonly RunResult[], opts: GroupIntervalOptions = {}): Interval | null {
  const values = overallValues(def, runs)
  if (values.length === 0) return null
  if (values.length >= 2) return clampToRange(def, meanInterval(values, opts))
  const confidence = opts.confidence ?? CONFIDENCE
  const estimate = values[0]
  const batches = batchValues(def, runs)
  if (!batches) return pointInterval(estimate, 1, 'single run too short for batch means (< 15 s of time series): no interval')
  const k = batches.length
  const m = mean(batches)
  const t = studentTCritical(1 - confidence, k - 1)
  const sd = sampleStandardDeviation(batches)
  const method = batchMethod(runs, k, confidence)
  if (def.scale === 'ratio' && m > 0 && estimate > 0) {
    const half = (t * sd) / (Math.sqrt(k) * m)
    return { estimate, lo: estimate * Math.exp(-half), hi: estimate * Math.exp(half), n: 1, method }
  }
  const half = (t * sd) / Math.sqrt(k)
  const clamp = (x: number) => (def.unit === 'share' ? Math.min(1, Math.max(0, x)) : x)
  return { estimate, lo: clamp(estimate - half), hi: clamp(estimate + half), n: 1, method }
}

/**
 * Every metric here is non-negative and shares cannot pass 1, but a t-interval over two or three
 * repetitions is symmetric and can cross those bounds (a p50 of 5 ms "between -0.2 and 9.4 ms").
 * The true value cannot lie outside them, so the interval is cut there.
 */
function clampToRange(def: AnalysisMetricDefinition, i: Interval): Interval {
  const hi = def.unit === 'share' ? Math.min(1, i.hi) : i.hi
  return { ...i, lo: Math.max(0, i.lo), hi }
}

/**
 * The change from group a to group b: (b - a) / a for ratio metrics, b - a for difference
 * metrics. Null when either side lacks the metric or a ratio's base is 0.
 */
export function compareGroups(def: AnalysisMetricDefinition, aRuns: readonly RunResult[], bRuns: readonly RunResult[], opts: GroupIntervalOptions = {}): Interval | null {
  const a = overallValues(def, aRuns)
  const b = overallValues(def, bRuns)
  if (a.length === 0 || b.length === 0) return null
  const confidence = opts.confidence ?? CONFIDENCE
  const ma = mean(a)
  const mb = mean(b)
  if (def.scale === 'ratio' && !(ma > 0 && mb > 0)) return null
  const estimate = def.scale === 'ratio' ? mb / ma - 1 : mb - ma
  const n = a.length + b.length
  if (a.length >= 2 && b.length >= 2) {
    if (a.length >= BOOTSTRAP_MIN_N && b.length >= BOOTSTRAP_MIN_N) return bootstrapGroups(def, a, b, estimate, confidence, opts)
    return welch(def, a, b, estimate, confidence)
  }
  // At least one side is a single run: its seconds (in batches) are the only noise information.
  const ba = batchValues(def, aRuns)
  const bb = batchValues(def, bRuns)
  if (!ba || !bb) return pointInterval(estimate, n, 'single runs too short for batch means (< 15 s of time series): no interval')
  const spread = welchSpread(def, ba, bb, confidence)
  if (!spread) return pointInterval(estimate, n, 'batch values without variation: no interval')
  const method = `Welch on batch means of each side (${ba.length} vs ${bb.length} batches of >= 5 s${def.scale === 'ratio' ? ', log ratio' : ''}, ${pct(confidence)}%); within-run noise only, no repetitions`
  if (def.scale === 'ratio') {
    const center = Math.log(mb / ma)
    return { estimate, lo: Math.exp(center - spread.half) - 1, hi: Math.exp(center + spread.half) - 1, n, method }
  }
  return { estimate, lo: estimate - spread.half, hi: estimate + spread.half, n, method }
}

/** Half-width of a Welch interval for the log ratio (ratio metrics) or difference of means. */
function welchSpread(def: AnalysisMetricDefinition, a: number[], b: number[], confidence: number): { half: number; df: number } | null {
  const ma = mean(a)
  const mb = mean(b)
  if (def.scale === 'ratio' && !(ma > 0 && mb > 0)) return null
  // Variance of each side's mean, on the log scale for ratios (delta method: Var(log m) ≈ Var(m)/m²).
  const va = sampleStandardDeviation(a) ** 2 / a.length / (def.scale === 'ratio' ? ma * ma : 1)
  const vb = sampleStandardDeviation(b) ** 2 / b.length / (def.scale === 'ratio' ? mb * mb : 1)
  const se = Math.sqrt(va + vb)
  if (!(se > 0)) return null
  const df = (va + vb) ** 2 / (va * va / (a.length - 1) + vb * vb / (b.length - 1))
  return { half: studentTCritical(1 - confidence, df) * se, df }
}

function welch(def: AnalysisMetricDefinition, a: number[], b: number[], estimate: number, confidence: number): Interval {
  const n = a.length + b.length
  const label = def.scale === 'ratio' ? 'Welch interval on the log ratio of means (delta method)' : 'Welch t-interval on the difference of means'
  const spread = welchSpread(def, a, b, confidence)
  if (!spread) return pointInterval(estimate, n, `${label}: no variation between repetitions, no interval`)
  const method = `${label}, ${a.length} vs ${b.length} repetitions, df ${spread.df.toFixed(1)} (${pct(confidence)}%)`
  if (def.scale === 'ratio') {
    const center = Math.log(mean(b) / mean(a))
    return { estimate, lo: Math.exp(center - spread.half) - 1, hi: Math.exp(center + spread.half) - 1, n, method }
  }
  return { estimate, lo: estimate - spread.half, hi: estimate + spread.half, n, method }
}

function bootstrapGroups(def: AnalysisMetricDefinition, a: number[], b: number[], estimate: number, confidence: number, opts: GroupIntervalOptions): Interval {
  const iterations = opts.iterations ?? 2000
  // Resample each side independently with its own seeded stream.
  const seed = opts.seed ?? 1
  const ra = bootstrapReplicates(a, mean, { iterations, seed })
  const rb = bootstrapReplicates(b, mean, { iterations, seed: seed + 7919 })
  const stats = ra.map((x, i) => (def.scale === 'ratio' ? rb[i] / x - 1 : rb[i] - x)).filter(Number.isFinite)
  const [lo, hi] = quantilePair(stats, confidence)
  return { estimate, lo, hi, n: a.length + b.length, method: `percentile bootstrap over repetitions, ${a.length} vs ${b.length} (${iterations} resamples, ${pct(confidence)}%)` }
}

/** An interval shows a real difference when it excludes zero. */
export function excludesZero(i: Interval): boolean {
  return i.lo > 0 || i.hi < 0
}
