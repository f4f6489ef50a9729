import { isEligible, type Balancer, type BackendState, type RequestInfo } from './balancer.js'

// Fewest requests in flight relative to weight (as nginx least_conn and HAProxy leastconn do).
// Ties rotate: without that, an idle system would send everything to the first backend.
export class LeastConnectionsBalancer implements Balancer {
  readonly name = 'least-connections' as const
  private tieCursor = 0

  pick(req: RequestInfo, backends: readonly BackendState[]): BackendState | null {
    const n = backends.length
    let best: BackendState | null = null
    let bestIndex = 0
    let bestLoad = Infinity
    const start = this.tieCursor % Math.max(n, 1)
    for (let step = 0; step < n; step++) {
      const index = (start + step) % n
      const backend = backends[index]!
      if (!isEligible(backend, req)) continue
      const load = backend.inFlight / backend.weight
      if (load < bestLoad) {
        bestLoad = load
        best = backend
        bestIndex = index
      }
    }
    // Continue after the chosen one, like round-robin, so ties rotate evenly.
    if (best) this.tieCursor = bestIndex + 1
    return best
  }
}
