import type { KeyPopularity } from './workload.js'
import type { SeededRandom } from '../random/seeded-random.js'

// Which customer each request touches. Samplers return an index into Dataset.customerIds
// (index 0 = oldest). The key space can grow during a run (create_customer appends ids), so
// every call receives the current size.

export interface KeySampler {
  /** Called once per request that needs a customer id; `size` is the current dataset length (> 0). */
  pick(size: number): number
}

/** Zipf CDF over ranks 1..n: cdf[r-1] = P(rank <= r). */
function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let r = 1; r <= n; r++) {
    sum += 1 / Math.pow(r, s)
    cdf[r - 1] = sum
  }
  for (let i = 0; i < n; i++) cdf[i]! /= sum
  return cdf
}

/** Smallest rank index i with cdf[i] >= u (binary search). */
function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0
  let hi = cdf.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (cdf[mid]! < u) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Seeded Fisher-Yates permutation of 0..n-1. */
function permutation(n: number, rng: SeededRandom): Uint32Array {
  const p = new Uint32Array(n)
  for (let i = 0; i < n; i++) p[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const tmp = p[i]!
    p[i] = p[j]!
    p[j] = tmp
  }
  return p
}

function assertShare(name: string, v: number): void {
  if (!(v > 0 && v <= 1)) throw new Error(`keys.${name} must be in (0, 1], got ${v}`)
}

/**
 * Builds the sampler for a workload's key popularity. `initialSize` is the seeded dataset size.
 * zipf and hotspot rank the seeded keys through a seeded permutation, so the popular keys are
 * scattered over the id (= time) space instead of being the oldest ids; created keys stay cold
 * for them. `latest` is by recency: rank 1 is always the newest id, including ids created
 * during the run (the CDF is rebuilt when the key space has grown by 10%).
 *
 * `rng` draws the keys; the permutation comes from `layout` (default: `rng` itself). Load agents
 * pass the workload's own key stream as `layout` and a stream of their own as `rng`: they then
 * draw different keys from the same popularity - the same hot keys - so N agents together load
 * the keys as one generator would.
 */
export function createKeySampler(keys: KeyPopularity, initialSize: number, rng: SeededRandom, layout: SeededRandom = rng): KeySampler {
  const n0 = Math.max(1, Math.floor(initialSize))
  switch (keys.kind) {
    case 'uniform':
      return { pick: (size) => rng.int(size) }
    case 'zipf': {
      if (!(keys.s > 0)) throw new Error(`keys.s (zipf exponent) must be > 0, got ${keys.s}`)
      const cdf = zipfCdf(n0, keys.s)
      const perm = permutation(n0, layout.fork(1))
      return {
        pick: (size) => {
          const idx = perm[searchCdf(cdf, rng.next())]!
          return idx < size ? idx : rng.int(size)
        },
      }
    }
    case 'hotspot': {
      assertShare('hotKeyShare', keys.hotKeyShare)
      assertShare('hotTrafficShare', keys.hotTrafficShare)
      const perm = permutation(n0, layout.fork(2))
      const hot = Math.max(1, Math.round(n0 * keys.hotKeyShare))
      const cold = n0 - hot
      return {
        pick: (size) => {
          const hotDraw = cold === 0 || rng.next() < keys.hotTrafficShare
          const idx = hotDraw ? perm[rng.int(hot)]! : perm[hot + rng.int(cold)]!
          return idx < size ? idx : rng.int(size)
        },
      }
    }
    case 'latest': {
      if (!(keys.s > 0)) throw new Error(`keys.s (latest exponent) must be > 0, got ${keys.s}`)
      let cdfSize = n0
      let cdf = zipfCdf(cdfSize, keys.s)
      return {
        pick: (size) => {
          if (size > cdfSize * 1.1) {
            cdfSize = size
            cdf = zipfCdf(cdfSize, keys.s)
          }
          const rankIdx = searchCdf(cdf, rng.next()) // 0 = newest
          return rankIdx < size ? size - 1 - rankIdx : rng.int(size)
        },
      }
    }
  }
}
