import { mean, quantileSorted, sampleStandardDeviation } from 'simple-statistics'
import type { Interval } from '../results/results-schema.js'
import { createSeededRandom } from '../random/seeded-random.js'
import { studentTCritical } from './student-t.js'

// Intervals for one quantity measured over repetitions. Small samples (the usual 2-5
// repetitions) get a Student-t interval: a bootstrap over 3 values has only 10 distinct resamples
// and covers far less than its nominal 95%. From 10 repetitions on, the percentile bootstrap
// needs no normality assumption and is used instead.

export const CONFIDENCE = 0.95
/** Repetitions from which the percentile bootstrap replaces the t-interval. */
export const BOOTSTRAP_MIN_N = 10

export interface IntervalOptions {
  confidence?: number
  seed?: number
  iterations?: number
}

/** A point with no spread information; `method` says why. */
export function pointInterval(value: number, n: number, method: string): Interval {
  return { estimate: value, lo: value, hi: value, n, method }
}

/** Interval for the mean of `values` (one value per repetition). Never NaN: empty -> estimate 0, n 0. */
export function meanInterval(values: readonly number[], opts: IntervalOptions = {}): Interval {
  const finite = values.filter((v) => Number.isFinite(v))
  const n = finite.length
  const confidence = opts.confidence ?? CONFIDENCE
  if (n === 0) return pointInterval(0, 0, 'no data')
  const m = mean(finite)
  if (n === 1) return pointInterval(m, 1, 'single repetition: no interval')
  if (n < BOOTSTRAP_MIN_N) {
    const sd = sampleStandardDeviation(finite)
    const half = studentTCritical(1 - confidence, n - 1) * (sd / Math.sqrt(n))
    return { estimate: m, lo: m - half, hi: m + half, n, method: `student-t over ${n} repetitions (${pct(confidence)}%)` }
  }
  const [lo, hi] = percentileBootstrap(finite, (xs) => mean(xs), { ...opts, confidence })
  return { estimate: m, lo, hi, n, method: `percentile bootstrap over ${n} repetitions (${opts.iterations ?? 2000} resamples, ${pct(confidence)}%)` }
}

/** Percentile-bootstrap interval of `statistic` over i.i.d. `values` (seeded, deterministic). */
export function percentileBootstrap(
  values: readonly number[],
  statistic: (resample: number[]) => number,
  opts: IntervalOptions = {},
): [number, number] {
  return quantilePair(bootstrapReplicates(values, statistic, opts), opts.confidence ?? CONFIDENCE)
}

/** `statistic` over `iterations` resamples (with replacement) of `values`; non-finite results dropped. */
export function bootstrapReplicates(values: readonly number[], statistic: (resample: number[]) => number, opts: IntervalOptions = {}): number[] {
  const iterations = opts.iterations ?? 2000
  const rnd = createSeededRandom(opts.seed ?? 1)
  const stats: number[] = []
  const buf = new Array<number>(values.length)
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < values.length; k++) buf[k] = values[rnd.int(values.length)]
    const s = statistic(buf)
    if (Number.isFinite(s)) stats.push(s)
  }
  return stats
}

/** The (1-c)/2 and (1+c)/2 quantiles of replicate statistics; [0,0] when there are none. */
export function quantilePair(replicates: number[], confidence: number): [number, number] {
  if (replicates.length === 0) return [0, 0]
  const sorted = [...replicates].sort((a, b) => a - b)
  return [quantileSorted(sorted, (1 - confidence) / 2), quantileSorted(sorted, (1 + confidence) / 2)]
}

export function pct(x: number): string {
  return String(Math.round(x * 1000) / 10)
}
