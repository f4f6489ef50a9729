import { describe, expect, it } from 'vitest'
import { makeBackends } from '../../../test/support/strategy-backends.js'
import { BALANCER_STRATEGIES, createBalancer } from './balancer-registry.js'

describe('balancer registry', () => {
  it('creates every strategy under its user-facing name', () => {
    for (const name of BALANCER_STRATEGIES) expect(createBalancer(name).name).toBe(name)
  })

  it('names the allowed strategies when given an unknown one', () => {
    expect(() => createBalancer('fastest')).toThrow(/unknown balancer strategy "fastest".*round-robin.*p2c.*consistent-hash/)
  })

  it('no strategy ever picks an ineligible backend', () => {
    for (const name of BALANCER_STRATEGIES) {
      const backends = makeBackends(4)
      backends[0]!.healthy = false
      backends[1]!.ejected = true
      backends[2]!.draining = true
      const balancer = createBalancer(name)
      for (let i = 0; i < 200; i++) {
        const chosen = balancer.pick({ method: 'GET', path: i % 2 ? `/customers/id${i}` : '/customers?q=x' }, backends)
        expect(chosen, name).toBe(backends[3])
      }
      backends[3]!.healthy = false
      expect(balancer.pick({ method: 'GET', path: '/customers/id1' }, backends), name).toBeNull()
    }
  })
})
