import { describe, expect, it } from 'vitest'
import { countPicks, makeBackends } from '../../../test/support/strategy-backends.js'
import { WeightedRoundRobinBalancer } from './weighted-round-robin.js'

describe('weighted-round-robin', () => {
  it('gives each backend exactly its share of the weights', () => {
    const backends = makeBackends(3, [5, 3, 2])
    const wrr = new WeightedRoundRobinBalancer()
    const counts = countPicks((path) => wrr.pick({ method: 'GET', path }, backends), 1000)
    expect(backends.map((b) => counts.get(b.url))).toEqual([500, 300, 200])
  })

  it('interleaves smoothly instead of sending bursts (nginx order for 5:1:1)', () => {
    const backends = makeBackends(3, [5, 1, 1])
    const wrr = new WeightedRoundRobinBalancer()
    const order = Array.from({ length: 7 }, () => backends.indexOf(wrr.pick({ method: 'GET', path: '/' }, backends)!))
    expect(order).toEqual([0, 0, 1, 0, 2, 0, 0])
  })

  it('follows a weight change and skips ineligible backends', () => {
    const backends = makeBackends(3, [1, 1, 1])
    const wrr = new WeightedRoundRobinBalancer()
    backends[0]!.weight = 3
    backends[2]!.draining = true
    const counts = countPicks((path) => wrr.pick({ method: 'GET', path }, backends), 400)
    expect(counts.get(backends[0]!.url)).toBe(300)
    expect(counts.get(backends[1]!.url)).toBe(100)
    expect(counts.has(backends[2]!.url)).toBe(false)
  })
})
