import { describe, expect, it } from 'vitest'
import { makeBackends } from '../../../test/support/strategy-backends.js'
import { PowerOfTwoChoicesBalancer } from './p2c.js'
import { seededRandom } from './seeded-random.js'

describe('p2c', () => {
  it('of the two sampled backends, takes the one with fewer in flight', () => {
    const backends = makeBackends(2)
    backends[0]!.inFlight = 4
    const p2c = new PowerOfTwoChoicesBalancer(seededRandom(1))
    // With two backends both are always sampled: the idle one wins every time.
    for (let i = 0; i < 50; i++) expect(p2c.pick({ method: 'GET', path: '/' }, backends)).toBe(backends[1])
  })

  it('never picks the most loaded of three (it can never win a pairing)', () => {
    const backends = makeBackends(3)
    backends[2]!.inFlight = 9
    const p2c = new PowerOfTwoChoicesBalancer(seededRandom(2))
    const counts = new Map<string, number>()
    for (let i = 0; i < 3000; i++) {
      const url = p2c.pick({ method: 'GET', path: '/' }, backends)!.url
      counts.set(url, (counts.get(url) ?? 0) + 1)
    }
    expect(counts.has(backends[2]!.url)).toBe(false)
    expect(Math.abs(counts.get(backends[0]!.url)! - 1500)).toBeLessThan(150)
  })

  it('samples only eligible backends', () => {
    const backends = makeBackends(4)
    backends[0]!.draining = true
    backends[1]!.healthy = false
    backends[2]!.ejected = true
    const p2c = new PowerOfTwoChoicesBalancer(seededRandom(3))
    for (let i = 0; i < 100; i++) expect(p2c.pick({ method: 'GET', path: '/' }, backends)).toBe(backends[3])
    backends[3]!.draining = true
    expect(p2c.pick({ method: 'GET', path: '/' }, backends)).toBeNull()
  })
})
