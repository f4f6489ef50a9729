import type { RunResult } from '../results/results-schema.js'
import { must } from '../util/must.js'
import type { AnalysisMetricDefinition } from './analysis-metrics.js'

// The noise model behind every interval over runs (see README.md, "Intervals"): a run's figure
// (on the log scale for ratio metrics) is
//
//     value = group mean + run effect (variance τ², run to run) + measurement noise (within the run)
//
// The within-run part is measured inside each run from its seconds, cut into consecutive batches
// (batch means); the run-to-run part only shows as spread between repetitions. Both are
// estimated here (method of moments, as in a one-way random-effects ANOVA) and an interval uses
// the larger of the two estimates of a run's variance:
//  - runs agree as well as their own noise predicts: the within-run estimate, whose degrees of
//    freedom come from every batch of every run (2 runs of 20 s: 6 df instead of 1 or 2);
//  - runs disagree more than that: the between-run mean square, with its few degrees of freedom.
// Repetitions replay the same request sequence, so they share a time profile; the within-run
// noise is what is left around that profile (see `residuals`). It is autocorrelated (a GC
// pause, a noisy neighbour lasts seconds), so the per-second lag-1 autocorrelation is estimated
// from all runs at once and the batch variance is corrected for it under an AR(1) model;
// otherwise 5-second batches would look more independent than they are and the interval would
// be too narrow.

/** One run, as the variance model sees it. */
export interface RunObservation {
  runId: string
  startedAt: string
  /** The run's figure as reported (ms, req/s or share). */
  raw: number
  /** The run's figure on the analysis scale: log(raw) for ratio metrics, raw for shares. */
  value: number
  /** Consecutive batch values on the analysis scale (empty when the run is too short). */
  batches: number[]
  /** Seconds per batch. */
  batchS: number
  /** Per-second values on the analysis scale (NaN where a second had no value). */
  seconds: number[]
  /** Requests the run measured: the binomial floor of a share's noise. */
  requests: number
}

export interface VarianceComponents {
  /** Runs in the model, per group, in the order the groups were given. */
  runsPerGroup: number[]
  /** Per-second lag-1 autocorrelation used for the batch correction (bias-corrected, clamped to [0, 0.9]). */
  autocorrelation: number
  /** Variance of one run's value from within-run noise alone (average over runs); null when runs are too short for batches. */
  withinPerRun: number | null
  /** Degrees of freedom of the within-run estimate (sum over runs of batches − 1). */
  withinDf: number
  /** Mean square of run values around their group mean; null with one run per group. */
  betweenPerRun: number | null
  betweenDf: number
  /** τ²: run-to-run variance beyond within-run noise, >= 0 (0 when runs agree as their noise predicts). */
  runToRun: number
  /** Variance of each run's value that intervals use (τ² + its own within-run variance), per group, per run. */
  perRunVariance: number[][]
  /** Which estimate sets the interval, and its degrees of freedom. */
  source: 'within' | 'between'
  df: number
}

const KNOWN_VARIANCE_DF = 1000
/** An AR(1) fit to a few short series is unreliable near 1, where the correction explodes. */
const MAX_AUTOCORRELATION = 0.9

/** Seconds per batch for a run of `length` seconds: >= 5 s from 20 s on (about 10 batches at most), 2 s for short runs. */
export function batchSeconds(length: number): number {
  return length >= 20 ? Math.max(5, Math.ceil(length / 10)) : 2
}

function toScale(def: AnalysisMetricDefinition, v: number | null): number {
  if (v === null || !Number.isFinite(v)) return Number.NaN
  if (def.scale === 'ratio') return v > 0 ? Math.log(v) : Number.NaN
  return v
}

/** The run as the model sees it; null when the run did not measure the metric (or a ratio metric is 0). */
export function observeRun(def: AnalysisMetricDefinition, run: RunResult): RunObservation | null {
  const raw = def.overall(run)
  const value = toScale(def, raw)
  if (raw === null || !Number.isFinite(value)) return null
  const ts = run.timeSeries
  const batchS = batchSeconds(ts.length)
  const k = Math.floor(ts.length / batchS)
  const batches: number[] = []
  for (let j = 0; j < k; j++) {
    const v = toScale(def, def.overSeconds(ts.slice(j * batchS, (j + 1) * batchS)))
    if (Number.isFinite(v)) batches.push(v)
  }
  return {
    runId: run.id,
    startedAt: run.startedAt,
    raw,
    value,
    // A batch without a value (no request in 5 s) breaks the batch structure: use none rather than a biased few.
    batches: batches.length === k && k >= 2 ? batches : [],
    batchS,
    seconds: ts.slice(0, k * batchS).map((p) => toScale(def, def.overSeconds([p]))),
    requests: run.metrics.http_reqs.count,
  }
}

/** Observations of every run of `runs` that measured the metric. */
export function observeRuns(def: AnalysisMetricDefinition, runs: readonly RunResult[]): RunObservation[] {
  return runs.map((r) => observeRun(def, r)).filter((o): o is RunObservation => o !== null)
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, v) => s + v, 0) / xs.length
}

/**
 * Deviations of each row (a run's batches or seconds) from what it shares with the other rows of
 * its group. Repetitions replay the same request sequence (same seed), so they share a time
 * profile (caches filling, a burst of writes at second 12): with two or more rows of equal length
 * the row means AND the common profile are removed (double centring), so only what differs from
 * run to run counts as noise; a single row is centred on its own mean. `runsShared` is the number
 * of rows that shared a profile (0 when centred on their own means).
 */
function residuals(rows: readonly (readonly number[])[]): { rows: number[][]; runsShared: number } {
  const length = Math.min(...rows.map((r) => r.length))
  if (rows.length >= 2 && rows.every((r) => r.length === length) && length >= 2) {
    const rowMeans = rows.map((r) => mean(r))
    const grand = mean(rowMeans)
    const colMeans = Array.from({ length }, (_, j) => mean(rows.map((r) => r[j]!)))
    return { rows: rows.map((r, i) => r.map((v, j) => v - rowMeans[i]! - colMeans[j]! + grand)), runsShared: rows.length }
  }
  const own = rows.map((r) => {
    const m = mean(r)
    return r.map((v) => v - m)
  })
  return { rows: own, runsShared: 0 }
}

/**
 * Lag-1 autocorrelation of the seconds' residuals (see `residuals`), pooled over groups, with
 * Kendall's first-order bias correction for short series (E[r] ≈ φ − (1 + 3φ)/n).
 */
export function pooledAutocorrelation(groups: readonly (readonly RunObservation[])[]): number {
  let num = 0
  let den = 0
  let lengths = 0
  let series = 0
  for (const g of groups) {
    const rows = g.map((r) => r.seconds).filter((xs) => xs.length >= 4 && xs.every((v) => Number.isFinite(v)))
    if (rows.length === 0) continue
    const length = Math.min(...rows.map((r) => r.length))
    for (const xs of residuals(rows.map((r) => r.slice(0, length))).rows) {
      for (const [t, x] of xs.entries()) {
        den += x ** 2
        if (t > 0) num += x * xs[t - 1]!
      }
      lengths += xs.length
      series++
    }
  }
  if (series === 0 || !(den > 0)) return 0
  const r = num / den
  const n = lengths / series
  const phi = (r * n + 1) / (n - 3)
  return Math.min(MAX_AUTOCORRELATION, Math.max(0, phi))
}

/** Σ_i Σ_j φ^|i−j| over n consecutive seconds: n²·Var(mean of n seconds) / Var(one second) under AR(1). */
function ar1Sum(n: number, phi: number): number {
  let s = n
  let p = 1
  for (let h = 1; h < n; h++) {
    p *= phi
    s += 2 * (n - h) * p
  }
  return s
}

/**
 * Estimates the components from groups of runs (one group for a cell, two for a comparison; the
 * groups may differ in mean, they are assumed to share the noise). Null when no group has a run.
 * `shareFloor`: for shares, each run's within-run variance is at least the binomial variance of
 * the pooled rate (with half an event added, so a rate of 0 still has some noise).
 */
export function varianceComponents(groups: readonly (readonly RunObservation[])[], opts: { share?: boolean } = {}): VarianceComponents | null {
  const all = groups.flat()
  if (all.length === 0) return null
  const phi = pooledAutocorrelation(groups)

  // Within: pooled variance of one second, σ²_s, from the batch residuals, then each run's
  // variance of its mean over its batched seconds. Under AR(1), for k batches of b seconds
  // (n = kb), E[Σ (batch − run mean)²] = σ²_s · k · (g(b)/b² − g(n)/n²) per run, and (runs − 1)
  // times that for a group centred on its shared profile as well.
  let ss = 0
  let expected = 0
  let withinDf = 0
  for (const g of groups) {
    const batched = g.filter((r) => r.batches.length >= 2)
    const sameShape = batched.every((r) => r.batchS === batched[0]?.batchS && r.batches.length === batched[0]?.batches.length)
    const parts = sameShape ? [batched] : batched.map((r) => [r])
    for (const part of parts) {
      const [first] = part
      if (first === undefined) continue
      const { rows, runsShared } = residuals(part.map((r) => r.batches))
      const k = first.batches.length
      const b = first.batchS
      const factor = k * (ar1Sum(b, phi) / b ** 2 - ar1Sum(k * b, phi) / (k * b) ** 2)
      ss += rows.reduce((s, row) => s + row.reduce((t, v) => t + v * v, 0), 0)
      expected += factor * (runsShared > 0 ? runsShared - 1 : part.length)
      withinDf += (k - 1) * (runsShared > 0 ? runsShared - 1 : part.length)
    }
  }
  const perSecond = expected > 0 ? ss / expected : null
  let share: number | null = null
  if (opts.share) {
    const events = all.reduce((s, r) => s + r.raw * r.requests, 0)
    const requests = all.reduce((s, r) => s + r.requests, 0)
    share = (events + 0.5) / (requests + 1)
  }
  const withinOf = (r: RunObservation): number | null => {
    const n = r.batches.length * r.batchS
    const fromBatches = perSecond !== null && r.batches.length >= 2 ? (perSecond * ar1Sum(n, phi)) / n ** 2 : null
    const floor = share !== null && r.requests > 0 ? (share * (1 - share)) / r.requests : null
    if (fromBatches === null) return floor
    return floor === null ? fromBatches : Math.max(fromBatches, floor)
  }
  const within = all.map(withinOf)
  const known = within.filter((v): v is number => v !== null)
  const withinPerRun = known.length === all.length ? mean(known) : null
  // Only the binomial floor (runs too short for batches): a variance that is computed, not
  // estimated from a few values, so the t quantile is effectively the normal one.
  if (withinPerRun !== null && withinDf === 0) withinDf = KNOWN_VARIANCE_DF

  let betweenSs = 0
  let betweenDf = 0
  for (const g of groups) {
    if (g.length < 2) continue
    const m = mean(g.map((r) => r.value))
    betweenSs += g.reduce((s, r) => s + (r.value - m) ** 2, 0)
    betweenDf += g.length - 1
  }
  const betweenPerRun = betweenDf > 0 ? betweenSs / betweenDf : null

  const useBetween = betweenPerRun !== null && (withinPerRun === null || betweenPerRun > withinPerRun)
  const runToRun = betweenPerRun !== null && withinPerRun !== null ? Math.max(0, betweenPerRun - withinPerRun) : 0
  let i = 0
  const perRunVariance = groups.map((g) =>
    g.map(() => {
      // `within` follows `all`, the groups' runs in this same order.
      const w = within[i++] as number | null
      // Between-run source without within-run data: the mean square is each run's whole variance.
      if (w === null || withinPerRun === null) return betweenPerRun ?? 0
      return runToRun + w
    }),
  )
  return {
    runsPerGroup: groups.map((g) => g.length),
    autocorrelation: phi,
    withinPerRun,
    withinDf,
    betweenPerRun,
    betweenDf,
    runToRun,
    perRunVariance,
    source: useBetween ? 'between' : 'within',
    df: useBetween ? betweenDf : withinDf,
  }
}

/** Variance of a group's mean value under the components: (1/n²) Σ per-run variance. */
export function varianceOfGroupMean(c: VarianceComponents, group: number): number {
  const v = must(c.perRunVariance[group], `no group ${group} among ${c.perRunVariance.length}`)
  return v.reduce((s, x) => s + x, 0) / (v.length * v.length)
}
