// The one seeded PRNG of the harness (sfc32, seeded through splitmix32): request sequences,
// bootstrap resampling and synthetic test data. Hand-written because it is ~20 lines and must be
// bit-for-bit stable across versions: the same scenario seed must give the same request sequence,
// and the same results.json the same intervals, years from now.

export interface SeededRandom {
  /** Called for every random choice: a float in [0, 1). */
  next(): number
  /** Called to pick an index: an integer in [0, n). */
  int(n: number): number
  /** Called to derive an independent stream (e.g. one for keys, one for bodies) from this one. */
  fork(label: number): SeededRandom
  /** Called for Gaussian noise (synthetic data, tests): standard normal, Box–Muller. */
  normal(): number
}

function splitmix32(state: number): () => number {
  let s = state >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

export function createSeededRandom(seed: number): SeededRandom {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`)
  // Fold the full double into 32 bits so seeds above 2^32 still differ.
  const hi = Math.floor(seed / 0x100000000) >>> 0
  const init = splitmix32((seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d))
  let a = init()
  let b = init()
  let c = init()
  let d = init() | 1
  const nextU32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  // Warm up: the first outputs of sfc32 are correlated with the seed words.
  for (let i = 0; i < 12; i++) nextU32()
  const next = (): number => nextU32() / 0x100000000
  let spareNormal: number | null = null
  const rng: SeededRandom = {
    next,
    int: (n) => Math.floor(next() * n),
    fork: (label) => createSeededRandom((nextU32() ^ Math.imul(label + 1, 0x9e3779b1)) >>> 0),
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
  return rng
}
