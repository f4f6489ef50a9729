import { describe, expect, it } from 'vitest'
import { createKeySampler } from './key-popularity.js'
import { createSeededRandom } from '../random/seeded-random.js'

const draw = (sampler: { pick(n: number): number }, size: number, n: number): number[] => {
  const counts = new Array<number>(size).fill(0)
  for (let i = 0; i < n; i++) counts[sampler.pick(size)]!++
  return counts
}

describe('seeded random', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createSeededRandom(42)
    const b = createSeededRandom(42)
    const c = createSeededRandom(43)
    const sa = Array.from({ length: 20 }, () => a.next())
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(sa)
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(sa)
    expect(sa.every((x) => x >= 0 && x < 1)).toBe(true)
  })
})

describe('key popularity', () => {
  const N = 1000
  const DRAWS = 200_000

  it('uniform: every key is drawn about equally often (chi-square)', () => {
    const counts = draw(createKeySampler({ kind: 'uniform' }, N, createSeededRandom(1)), N, DRAWS)
    const expected = DRAWS / N
    const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0)
    // 999 degrees of freedom: mean 999, sd ~45; 1200 is ~4.5 sd out.
    expect(chi2).toBeLessThan(1200)
  })

  it('zipf(1): the top-ranked keys get the share the Zipf law predicts, scattered over the id space', () => {
    const counts = draw(createKeySampler({ kind: 'zipf', s: 1 }, N, createSeededRandom(2)), N, DRAWS)
    const sorted = [...counts].sort((a, b) => b - a)
    const harmonic = (k: number): number => Array.from({ length: k }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b, 0)
    const top10Expected = harmonic(10) / harmonic(N)
    const top10 = sorted.slice(0, 10).reduce((a, b) => a + b, 0) / DRAWS
    expect(top10).toBeCloseTo(top10Expected, 1)
    expect(Math.abs(top10 - top10Expected)).toBeLessThan(0.01)
    expect(sorted[0]! / DRAWS).toBeCloseTo(1 / harmonic(N), 2)
    // The most popular key is not simply the oldest id: ranks are permuted by the seed.
    const hottest = counts.indexOf(sorted[0]!)
    const hottestOther = (() => {
      const c = draw(createKeySampler({ kind: 'zipf', s: 1 }, N, createSeededRandom(3)), N, 20_000)
      return c.indexOf(Math.max(...c))
    })()
    expect(hottest === 0 && hottestOther === 0).toBe(false)
  })

  it('hotspot: hotTrafficShare of draws go to hotKeyShare of the keys', () => {
    const counts = draw(createKeySampler({ kind: 'hotspot', hotKeyShare: 0.1, hotTrafficShare: 0.9 }, N, createSeededRandom(4)), N, DRAWS)
    const sorted = [...counts].sort((a, b) => b - a)
    const hotShare = sorted.slice(0, 100).reduce((a, b) => a + b, 0) / DRAWS
    expect(Math.abs(hotShare - 0.9)).toBeLessThan(0.01)
  })

  it('latest: the newest ids are the most popular, and ids created during the run become the newest', () => {
    const sampler = createKeySampler({ kind: 'latest', s: 1 }, N, createSeededRandom(5))
    const counts = draw(sampler, N, DRAWS)
    expect(counts[N - 1]).toBeGreaterThan(counts[N - 2]!)
    expect(counts[N - 1]! + counts[N - 2]! + counts[N - 3]!).toBeGreaterThan(counts.slice(0, N / 2).reduce((a, b) => a + b, 0) / 4)
    // After the dataset grew by 200 created ids, the newest (index 1199) is the hottest key.
    const grown = draw(sampler, N + 200, DRAWS)
    expect(grown.indexOf(Math.max(...grown))).toBe(N + 199)
  })

  it('same seed => same key sequence', () => {
    const a = createKeySampler({ kind: 'zipf', s: 1.1 }, N, createSeededRandom(9))
    const b = createKeySampler({ kind: 'zipf', s: 1.1 }, N, createSeededRandom(9))
    const sa = Array.from({ length: 100 }, () => a.pick(N))
    expect(Array.from({ length: 100 }, () => b.pick(N))).toEqual(sa)
  })

  it('rejects a bad exponent with a message naming the field', () => {
    expect(() => createKeySampler({ kind: 'zipf', s: 0 }, N, createSeededRandom(1))).toThrow(/keys\.s/)
  })
})
