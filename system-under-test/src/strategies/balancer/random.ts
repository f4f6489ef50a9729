import { isEligible, type Balancer, type BackendState, type RandomSource, type RequestInfo } from './balancer.js'

// Weighted random choice (uniform when every weight is 1), as HAProxy `random(1)` and nginx `random`.
export class RandomBalancer implements Balancer {
  readonly name = 'random' as const
  constructor(private readonly random: RandomSource = Math.random) {}

  pick(req: RequestInfo, backends: readonly BackendState[]): BackendState | null {
    return pickWeightedRandom(
      backends.filter((b) => isEligible(b, req)),
      this.random,
    )
  }
}

/** Chooses one of `eligible` with probability proportional to its weight; null when empty. */
export function pickWeightedRandom(eligible: readonly BackendState[], random: RandomSource): BackendState | null {
  if (eligible.length === 0) return null
  const total = eligible.reduce((sum, b) => sum + b.weight, 0)
  let point = random() * total
  for (const backend of eligible) {
    point -= backend.weight
    if (point < 0) return backend
  }
  // Rounding can leave `point` a hair above the total: the last backend takes it.
  return eligible[eligible.length - 1]!
}
