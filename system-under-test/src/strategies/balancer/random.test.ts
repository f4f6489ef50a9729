import { describe, expect, it } from 'vitest'
import { countPicks, makeBackends } from '../../../test/support/strategy-backends.js'
import { RandomBalancer } from './random.js'
import { seededRandom } from './seeded-random.js'

describe('random', () => {
  it('spreads close to evenly and never picks an ineligible backend', () => {
    const backends = makeBackends(4)
    backends[0]!.healthy = false
    const random = new RandomBalancer(seededRandom(7))
    const counts = countPicks((path) => random.pick({ method: 'GET', path }, backends), 30_000)
    expect(counts.has(backends[0]!.url)).toBe(false)
    for (const b of backends.slice(1)) expect(Math.abs(counts.get(b.url)! - 10_000)).toBeLessThan(500)
  })

  it('follows weights', () => {
    const backends = makeBackends(2, [3, 1])
    const random = new RandomBalancer(seededRandom(11))
    const counts = countPicks((path) => random.pick({ method: 'GET', path }, backends), 20_000)
    expect(counts.get(backends[0]!.url)! / 20_000).toBeCloseTo(0.75, 1)
  })
})
