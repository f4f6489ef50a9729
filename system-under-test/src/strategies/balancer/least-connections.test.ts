import { describe, expect, it } from 'vitest'
import { makeBackends } from '../../../test/support/strategy-backends.js'
import { LeastConnectionsBalancer } from './least-connections.js'

describe('least-connections', () => {
  it('picks the backend with the fewest requests in flight', () => {
    const backends = makeBackends(3)
    backends[0]!.inFlight = 5
    backends[1]!.inFlight = 1
    backends[2]!.inFlight = 3
    const lc = new LeastConnectionsBalancer()
    for (let i = 0; i < 10; i++) expect(lc.pick({ method: 'GET', path: '/' }, backends)).toBe(backends[1])
  })

  it('keeps a slow backend (whose requests pile up) at a small share', () => {
    const backends = makeBackends(3)
    const lc = new LeastConnectionsBalancer()
    const picks = new Map<string, number>()
    // Simulate: fast backends finish at once, the slow one holds every request it gets for 10 picks.
    const slow = backends[2]!
    const releases: number[] = []
    for (let i = 0; i < 300; i++) {
      while (releases.length && releases[0]! <= i) {
        releases.shift()
        slow.inFlight--
      }
      const chosen = lc.pick({ method: 'GET', path: '/' }, backends)!
      picks.set(chosen.url, (picks.get(chosen.url) ?? 0) + 1)
      if (chosen === slow) {
        slow.inFlight++
        releases.push(i + 10)
      }
    }
    expect(picks.get(slow.url) ?? 0).toBeLessThan(40)
  })

  it('spreads ties evenly and never picks an ineligible backend', () => {
    const backends = makeBackends(4)
    backends[3]!.ejected = true
    backends[0]!.inFlight = 0
    const lc = new LeastConnectionsBalancer()
    const counts = new Map<string, number>()
    for (let i = 0; i < 300; i++) {
      const url = lc.pick({ method: 'GET', path: '/' }, backends)!.url
      counts.set(url, (counts.get(url) ?? 0) + 1)
    }
    expect(counts.has(backends[3]!.url)).toBe(false)
    for (const b of backends.slice(0, 3)) expect(counts.get(b.url)).toBe(100)
  })
})
