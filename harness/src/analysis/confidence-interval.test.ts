import { describe, expect, it } from 'vitest'
import { meanInterval } from './confidence-interval.js'
import { createSeededRandom } from '../random/seeded-random.js'
import { normalQuantile, studentTCritical } from './student-t.js'

describe('studentTCritical', () => {
  it('matches published two-sided 95% t values', () => {
    const table: Array<[number, number]> = [[1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [5, 2.571], [10, 2.228], [30, 2.042], [120, 1.98]]
    for (const [df, t] of table) expect(studentTCritical(0.05, df)).toBeCloseTo(t, 2)
    expect(studentTCritical(0.01, 3)).toBeCloseTo(5.841, 2)
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5)
  })
})

describe('meanInterval', () => {
  function coverage(n: number, trials: number): number {
    const rnd = createSeededRandom(n * 7919)
    let covered = 0
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: n }, () => 100 + 10 * rnd.normal())
      const i = meanInterval(xs, { seed: t, iterations: 400 })
      if (i.lo <= 100 && 100 <= i.hi) covered++
    }
    return covered / trials
  }

  it('covers the true mean about 95% of the time with 3 repetitions (t) and with 12 (bootstrap)', () => {
    expect(coverage(3, 400)).toBeGreaterThan(0.92)
    expect(coverage(3, 400)).toBeLessThan(0.98)
    // The percentile bootstrap is known to under-cover a little at n = 12.
    expect(coverage(12, 300)).toBeGreaterThan(0.88)
  })

  it('names its method and never returns NaN', () => {
    expect(meanInterval([]).method).toBe('no data')
    expect(meanInterval([5])).toEqual({ estimate: 5, lo: 5, hi: 5, n: 1, method: 'single repetition: no interval' })
    expect(meanInterval([1, 2, 3]).method).toMatch(/student-t over 3 repetitions/)
    expect(meanInterval(Array.from({ length: 12 }, (_, i) => i)).method).toMatch(/percentile bootstrap over 12 repetitions/)
    expect(JSON.stringify(meanInterval([1, Number.NaN, 3]))).not.toMatch(/null|NaN/)
  })

  it('is deterministic for a seed', () => {
    const xs = Array.from({ length: 15 }, (_, i) => (i * 37) % 11)
    expect(meanInterval(xs, { seed: 3 })).toEqual(meanInterval(xs, { seed: 3 }))
  })
})
