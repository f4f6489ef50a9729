import { describe, expect, it } from 'vitest'
import { countPicks, makeBackends } from '../../../test/support/strategy-backends.js'
import { ConsistentHashBalancer } from './consistent-hash.js'
import { customerIdFromPath } from './customer-id-from-path.js'

const customerPath = (i: number) => `/customers/c${String(i).padStart(8, '0')}/360`

describe('consistent-hash', () => {
  it('takes the customer id from per-customer paths only', () => {
    expect(customerIdFromPath('/customers/abc')).toBe('abc')
    expect(customerIdFromPath('/customers/abc/360?x=1')).toBe('abc')
    expect(customerIdFromPath('/customers/abc?x=1')).toBe('abc')
    expect(customerIdFromPath('/customers?q=ab')).toBeNull()
    expect(customerIdFromPath('/health')).toBeNull()
  })

  it('sends every request of one customer to the same backend, whatever the route', () => {
    const backends = makeBackends(3)
    const ch = new ConsistentHashBalancer()
    for (let i = 0; i < 200; i++) {
      const first = ch.pick({ method: 'GET', path: `/customers/c${i}` }, backends)
      expect(ch.pick({ method: 'GET', path: `/customers/c${i}/360` }, backends)).toBe(first)
      expect(ch.pick({ method: 'POST', path: `/customers/c${i}/deals` }, backends)).toBe(first)
    }
  })

  it('spreads customers within a few percent of even', () => {
    const backends = makeBackends(4)
    const ch = new ConsistentHashBalancer()
    const counts = countPicks((path) => ch.pick({ method: 'GET', path }, backends), 20_000, customerPath)
    for (const b of backends) expect(Math.abs(counts.get(b.url)! / 20_000 - 0.25)).toBeLessThan(0.05)
  })

  it('moves only the removed backend’s customers (~1/N) when one of N goes away', () => {
    const backends = makeBackends(4)
    const ch = new ConsistentHashBalancer()
    const before = Array.from({ length: 10_000 }, (_, i) => ch.pick({ method: 'GET', path: customerPath(i) }, backends)!.url)
    backends[1]!.healthy = false
    const after = Array.from({ length: 10_000 }, (_, i) => ch.pick({ method: 'GET', path: customerPath(i) }, backends)!.url)
    let moved = 0
    for (let i = 0; i < before.length; i++) {
      if (before[i] !== after[i]) {
        moved++
        // Only customers of the removed backend may move.
        expect(before[i]).toBe(backends[1]!.url)
      }
      expect(after[i]).not.toBe(backends[1]!.url)
    }
    expect(moved / before.length).toBeGreaterThan(0.18)
    expect(moved / before.length).toBeLessThan(0.32)
  })

  it('spreads requests without a customer id round-robin', () => {
    const backends = makeBackends(3)
    const ch = new ConsistentHashBalancer()
    const counts = countPicks(
      (path) => ch.pick({ method: 'GET', path }, backends),
      300,
      () => '/customers?q=a',
    )
    expect([...counts.values()]).toEqual([100, 100, 100])
  })
})
