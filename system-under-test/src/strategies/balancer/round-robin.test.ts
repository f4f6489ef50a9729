import { describe, expect, it } from 'vitest'
import { countPicks, makeBackends } from '../../../test/support/strategy-backends.js'
import { RoundRobinBalancer } from './round-robin.js'

describe('round-robin', () => {
  it('rotates through every backend exactly evenly', () => {
    const backends = makeBackends(3)
    const rr = new RoundRobinBalancer()
    const order = Array.from({ length: 6 }, () => rr.pick({ method: 'GET', path: '/' }, backends)?.url)
    expect(order).toEqual([0, 1, 2, 0, 1, 2].map((i) => backends[i]!.url))
    const counts = countPicks((path) => rr.pick({ method: 'GET', path }, backends), 300)
    expect([...counts.values()]).toEqual([100, 100, 100])
  })

  it('never picks an unhealthy, ejected, draining or excluded backend', () => {
    const backends = makeBackends(5)
    backends[0]!.healthy = false
    backends[1]!.ejected = true
    backends[2]!.draining = true
    const rr = new RoundRobinBalancer()
    const counts = countPicks((path) => rr.pick({ method: 'GET', path, exclude: new Set([backends[3]!.url]) }, backends), 50)
    expect([...counts.entries()]).toEqual([[backends[4]!.url, 50]])
  })

  it('returns null when nothing is eligible', () => {
    const backends = makeBackends(2)
    for (const b of backends) b.healthy = false
    expect(new RoundRobinBalancer().pick({ method: 'GET', path: '/' }, backends)).toBeNull()
    expect(new RoundRobinBalancer().pick({ method: 'GET', path: '/' }, [])).toBeNull()
  })
})
