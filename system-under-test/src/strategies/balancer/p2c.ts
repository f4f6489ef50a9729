import { isEligible, type Balancer, type BackendState, type RandomSource, type RequestInfo } from './balancer.js'

// Power of two choices: sample two distinct eligible backends at random, send to the one with
// fewer requests in flight. Nearly as good as least-connections at avoiding a slow backend, but
// without every balancer herding onto the same "least loaded" one (HAProxy random(2), nginx
// `random two least_conn`).
export class PowerOfTwoChoicesBalancer implements Balancer {
  readonly name = 'p2c' as const
  constructor(private readonly random: RandomSource = Math.random) {}

  pick(req: RequestInfo, backends: readonly BackendState[]): BackendState | null {
    const eligible = backends.filter((b) => isEligible(b, req))
    if (eligible.length <= 1) return eligible[0] ?? null
    const first = Math.floor(this.random() * eligible.length)
    // Draw the second from the remaining n-1 so the two are always distinct.
    let second = Math.floor(this.random() * (eligible.length - 1))
    if (second >= first) second += 1
    const a = eligible[first]!
    const b = eligible[second]!
    const loadA = a.inFlight / a.weight
    const loadB = b.inFlight / b.weight
    if (loadA === loadB) return this.random() < 0.5 ? a : b
    return loadA < loadB ? a : b
  }
}
