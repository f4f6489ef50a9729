import { isEligible, type Balancer, type BackendState, type RequestInfo } from './balancer.js'

// Plain rotation over the configured list, skipping ineligible backends. The cursor walks the
// full list (not the eligible subset) so a backend coming back does not reshuffle the order.
export class RoundRobinBalancer implements Balancer {
  readonly name = 'round-robin' as const
  private cursor = 0

  pick(req: RequestInfo, backends: readonly BackendState[]): BackendState | null {
    const n = backends.length
    for (let step = 0; step < n; step++) {
      const index = (this.cursor + step) % n
      const backend = backends[index]!
      if (isEligible(backend, req)) {
        this.cursor = (index + 1) % n
        return backend
      }
    }
    return null
  }
}
