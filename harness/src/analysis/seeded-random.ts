// Deterministic pseudo-random numbers: bootstrap intervals and synthetic test data must come out
// the same on every run, so a report can be regenerated and a CI gate never flips on a re-run.

export interface SeededRandom {
  /** Called for every uniform draw: a number in [0, 1). */
  next(): number
  /** Called for an index draw: an integer in [0, n). */
  int(n: number): number
  /** Called for Gaussian noise in synthetic data: standard normal (Box–Muller). */
  normal(): number
}

/** mulberry32: tiny, fast and well distributed enough for resampling (not for cryptography). */
export function createSeededRandom(seed: number): SeededRandom {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0
  let spareNormal: number | null = null
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n) => Math.min(n - 1, Math.floor(next() * n)),
    normal: () => {
      if (spareNormal !== null) {
        const v = spareNormal
        spareNormal = null
        return v
      }
      let u = 0
      while (u <= Number.EPSILON) u = next()
      const v = next()
      const r = Math.sqrt(-2 * Math.log(u))
      spareNormal = r * Math.sin(2 * Math.PI * v)
      return r * Math.cos(2 * Math.PI * v)
    },
  }
}
