// Has the system under test warmed up? Two questions, one answered live and one afterwards:
//  - during the warm-up (the runner asks once a second): have per-second throughput and p95
//    stopped improving? A cold start (JIT compilation, connection pools, empty caches) shows as
//    latency falling and, with a fixed number of connections, throughput rising.
//  - after a run: does the measured phase still begin with a transient? MSER (the marginal
//    standard error rule, White 1997, the usual warm-up detector in simulation output analysis)
//    picks the truncation point that minimizes the standard error of what remains; a truncation
//    point well inside the run means its first seconds belong to the warm-up.

export interface WarmupSample {
  /** Requests completed in that second. */
  rps: number
  /** p95 latency of that second (ms); NaN or 0 when nothing completed. */
  p95: number
}

export interface SettleOptions {
  /** Seconds in each half of the window compared (default 3). */
  halfWindowS?: number
  /** Latency may still fall by this share between the halves (default 0.15). */
  latencyDrop?: number
  /** Throughput may still rise by this share between the halves (default 0.1); null ignores throughput (open model: it follows the fixed arrival rate). */
  throughputRise?: number | null
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/**
 * True once the last 2·halfWindowS seconds show no more warming: the median p95 of the earlier
 * half is at most (1 + latencyDrop) × the later half's, and throughput did not rise by more than
 * throughputRise. Medians, because one slow second (a GC pause) must neither end nor extend the
 * warm-up. Called by the runner once per warm-up second after the scenario's minimum.
 */
export function hasSettled(seconds: readonly WarmupSample[], opts: SettleOptions = {}): boolean {
  const half = opts.halfWindowS ?? 3
  if (seconds.length < 2 * half) return false
  const window = seconds.slice(-2 * half)
  const early = window.slice(0, half)
  const late = window.slice(half)
  const p95 = (xs: readonly WarmupSample[]) => median(xs.map((s) => (Number.isFinite(s.p95) && s.p95 > 0 ? s.p95 : Number.POSITIVE_INFINITY)))
  const lateP95 = p95(late)
  if (!Number.isFinite(lateP95)) return false
  if (p95(early) > lateP95 * (1 + (opts.latencyDrop ?? 0.15))) return false
  const rise = opts.throughputRise === undefined ? 0.1 : opts.throughputRise
  if (rise !== null) {
    const earlyRps = median(early.map((s) => s.rps))
    if (median(late.map((s) => s.rps)) > earlyRps * (1 + rise)) return false
  }
  return true
}

/**
 * MSER truncation point of a series (in its own units, e.g. seconds): the d in [0, n/2] that
 * minimizes Var(x[d..]) / (n − d), i.e. the squared standard error of the mean of what is kept.
 */
export function mserTruncation(xs: readonly number[]): number {
  const n = xs.length
  if (n < 6) return 0
  let best = 0
  let bestValue = Number.POSITIVE_INFINITY
  // Suffix sums make each candidate O(1).
  const suffix = new Array<number>(n + 1).fill(0)
  const suffixSq = new Array<number>(n + 1).fill(0)
  for (let i = n - 1; i >= 0; i--) {
    const x = xs[i]!
    suffix[i] = suffix[i + 1]! + x
    suffixSq[i] = suffixSq[i + 1]! + x * x
  }
  for (let d = 0; d <= Math.floor(n / 2); d++) {
    const m = n - d
    const mean = suffix[d]! / m
    const value = (suffixSq[d]! / m - mean * mean) / m
    if (value < bestValue - 1e-15) {
      bestValue = value
      best = d
    }
  }
  return best
}
