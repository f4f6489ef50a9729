import { mean, sampleStandardDeviation } from 'simple-statistics'
import type { Interval, RunResult, TimePoint } from '../results/results-schema.js'
import type { AnalysisMetricDefinition } from './analysis-metrics.js'
import { circularBlockResamples, defaultBlockLength } from './block-bootstrap.js'
import { BOOTSTRAP_MIN_N, CONFIDENCE, meanInterval, pct, percentileBootstrap, pointInterval, quantilePair } from './confidence-interval.js'
import { studentTCritical } from './student-t.js'

// Intervals for a cell (a group of repetitions) and for the difference between two cells.
// Method choice, stated in every Interval.method:
//  - both groups with >= 2 repetitions: the repetitions are the samples (independent runs).
//    ratio metrics: Welch interval on log(mean b / mean a) with delta-method standard errors
//    (n < 10 per side), or a percentile bootstrap of the ratio of means (n >= 10);
//    difference metrics (rates): Welch t-interval on mean b - mean a, or bootstrap.
//  - a group with 1 repetition: its seconds are the samples. A circular block bootstrap over the
//    seconds gives the spread of the per-second statistic; that spread is applied around the
//    run's overall figure (the run's p95 comes from its whole histogram, which the per-second
//    p95s only approximate). Seconds of one run share the run's conditions, so this interval
//    says "within-run noise" and cannot see run-to-run variation: say so, prefer repetitions.

export interface GroupIntervalOptions {
  confidence?: number
  seed?: number
  iterations?: number
}

function overallValues(def: AnalysisMetricDefinition, runs: readonly RunResult[]): number[] {
  return runs.map((r) => def.overall(r)).filter((v): v is number => v !== null && Number.isFinite(v))
}

function seriesOf(runs: readonly RunResult[]): TimePoint[] {
  // Repetitions are concatenated; a block that straddles two runs is rare and harmless.
  return runs.flatMap((r) => r.timeSeries)
}

function seriesReplicates(def: AnalysisMetricDefinition, points: TimePoint[], opts: GroupIntervalOptions, seed: number): { point: number; replicates: number[] } | null {
  const point = def.overSeconds(points)
  if (point === null || points.length < 3) return null
  const replicates: number[] = []
  for (const resample of circularBlockResamples(points, { iterations: opts.iterations ?? 2000, seed })) {
    const s = def.overSeconds(resample)
    if (s !== null && Number.isFinite(s)) replicates.push(s)
  }
  return replicates.length > 0 ? { point, replicates } : null
}

function seriesMethod(points: number, confidence: number, iterations: number): string {
  return `circular block bootstrap over ${points} per-second values (block ${defaultBlockLength(points)} s, ${iterations} resamples, ${pct(confidence)}%); within-run noise only, no repetitions`
}

/** Interval for one metric of one cell; null when no run of the cell measured it. */
export function cellMetricInterval(def: AnalysisMetricDefinition, runs: readonly RunResult[], opts: GroupIntervalOptions = {}): Interval | null {
  const values = overallValues(def, runs)
  if (values.length === 0) return null
  if (values.length >= 2) return meanInterval(values, opts)
  const confidence = opts.confidence ?? CONFIDENCE
  const estimate = values[0]
  const points = seriesOf(runs)
  const rep = seriesReplicates(def, points, opts, opts.seed ?? 1)
  if (!rep) return pointInterval(estimate, 1, 'single run without a usable time series: no interval')
  const iterations = opts.iterations ?? 2000
  if (def.scale === 'ratio' && rep.point > 0) {
    const [qlo, qhi] = quantilePair(rep.replicates.map((s) => s / rep.point), confidence)
    return { estimate, lo: estimate * qlo, hi: estimate * qhi, n: 1, method: seriesMethod(points.length, confidence, iterations) }
  }
  const [qlo, qhi] = quantilePair(rep.replicates.map((s) => s - rep.point), confidence)
  const clamp = (x: number) => (def.unit === 'share' ? Math.min(1, Math.max(0, x)) : x)
  return { estimate, lo: clamp(estimate + qlo), hi: clamp(estimate + qhi), n: 1, method: seriesMethod(points.length, confidence, iterations) }
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
  // At least one side is a single run: its seconds are the only noise information there is.
  const iterations = opts.iterations ?? 2000
  const seed = opts.seed ?? 1
  const ra = seriesReplicates(def, seriesOf(aRuns), opts, seed)
  const rb = seriesReplicates(def, seriesOf(bRuns), opts, seed + 7919)
  if (!ra || !rb) return pointInterval(estimate, n, 'single runs without usable time series: no interval')
  const k = Math.min(ra.replicates.length, rb.replicates.length)
  const method = `circular block bootstrap over per-second values of each side (${seriesOf(aRuns).length} s vs ${seriesOf(bRuns).length} s, ${iterations} resamples, ${pct(confidence)}%); within-run noise only`
  if (def.scale === 'ratio') {
    if (!(ra.point > 0 && rb.point > 0)) return pointInterval(estimate, n, 'per-second values are zero: no interval')
    const rel: number[] = []
    for (let i = 0; i < k; i++) if (ra.replicates[i] > 0) rel.push(rb.replicates[i] / ra.replicates[i] / (rb.point / ra.point))
    const [qlo, qhi] = quantilePair(rel, confidence)
    const ratio = mb / ma
    return { estimate, lo: ratio * qlo - 1, hi: ratio * qhi - 1, n, method }
  }
  const diffs: number[] = []
  for (let i = 0; i < k; i++) diffs.push(rb.replicates[i] - ra.replicates[i] - (rb.point - ra.point))
  const [qlo, qhi] = quantilePair(diffs, confidence)
  return { estimate, lo: estimate + qlo, hi: estimate + qhi, n, method }
}

function welch(def: AnalysisMetricDefinition, a: number[], b: number[], estimate: number, confidence: number): Interval {
  const ma = mean(a)
  const mb = mean(b)
  const n = a.length + b.length
  // Variance of each side's mean, on the log scale for ratios (delta method: Var(log m) ≈ Var(m)/m²).
  const va = sampleStandardDeviation(a) ** 2 / a.length / (def.scale === 'ratio' ? ma * ma : 1)
  const vb = sampleStandardDeviation(b) ** 2 / b.length / (def.scale === 'ratio' ? mb * mb : 1)
  const se = Math.sqrt(va + vb)
  const label = def.scale === 'ratio' ? 'Welch interval on the log ratio of means (delta method)' : 'Welch t-interval on the difference of means'
  if (!(se > 0)) return pointInterval(estimate, n, `${label}: no variation between repetitions, no interval`)
  const df = (va + vb) ** 2 / (va * va / (a.length - 1) + vb * vb / (b.length - 1))
  const half = studentTCritical(1 - confidence, df) * se
  const method = `${label}, ${a.length} vs ${b.length} repetitions, df ${df.toFixed(1)} (${pct(confidence)}%)`
  if (def.scale === 'ratio') {
    const center = Math.log(mb / ma)
    return { estimate, lo: Math.exp(center - half) - 1, hi: Math.exp(center + half) - 1, n, method }
  }
  return { estimate, lo: estimate - half, hi: estimate + half, n, method }
}

function bootstrapGroups(def: AnalysisMetricDefinition, a: number[], b: number[], estimate: number, confidence: number, opts: GroupIntervalOptions): Interval {
  const iterations = opts.iterations ?? 2000
  // Resample each side independently with its own seeded stream.
  const seed = opts.seed ?? 1
  const ra: number[] = []
  const rb: number[] = []
  percentileBootstrap(a, (xs) => { ra.push(mean(xs)); return 0 }, { iterations, seed })
  percentileBootstrap(b, (xs) => { rb.push(mean(xs)); return 0 }, { iterations, seed: seed + 7919 })
  const stats = ra.map((x, i) => (def.scale === 'ratio' ? rb[i] / x - 1 : rb[i] - x)).filter(Number.isFinite)
  const [lo, hi] = quantilePair(stats, confidence)
  return { estimate, lo, hi, n: a.length + b.length, method: `percentile bootstrap over repetitions, ${a.length} vs ${b.length} (${iterations} resamples, ${pct(confidence)}%)` }
}

/** An interval shows a real difference when it excludes zero. */
export function excludesZero(i: Interval): boolean {
  return i.lo > 0 || i.hi < 0
}
