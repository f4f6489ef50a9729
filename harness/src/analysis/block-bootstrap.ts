import { createSeededRandom } from './seeded-random.js'

// The seconds of one run are not independent (a GC pause, a cache warming up, a noisy neighbour
// last several seconds), so resampling single seconds would give intervals that are too narrow.
// The circular block bootstrap resamples runs of consecutive seconds instead, which keeps the
// short-range dependence inside each block (Politis & Romano 1992).

export interface BlockBootstrapOptions {
  /** Resamples (default 2000). */
  iterations?: number
  seed?: number
  /** Seconds per block; default max(2, ceil(T^(1/3))), the usual rate for variance estimation. */
  blockLength?: number
}

/** Default block length for a series of `length` seconds. */
export function defaultBlockLength(length: number): number {
  return Math.max(2, Math.ceil(Math.cbrt(Math.max(1, length))))
}

/**
 * Returns `iterations` resampled copies of `series` (same length), built from circular blocks.
 * Called lazily by the interval builders; a generator keeps memory flat for long soak series.
 */
export function* circularBlockResamples<T>(series: readonly T[], opts: BlockBootstrapOptions = {}): Generator<T[]> {
  const iterations = opts.iterations ?? 2000
  const n = series.length
  if (n === 0) return
  const block = Math.min(n, Math.max(1, opts.blockLength ?? defaultBlockLength(n)))
  const rnd = createSeededRandom(opts.seed ?? 1)
  for (let it = 0; it < iterations; it++) {
    const out: T[] = new Array<T>(n)
    let filled = 0
    while (filled < n) {
      const start = rnd.int(n)
      for (let k = 0; k < block && filled < n; k++) out[filled++] = series[(start + k) % n]
    }
    yield out
  }
}
