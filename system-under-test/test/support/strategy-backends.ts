import type { BackendState } from '../../src/strategies/balancer/balancer.js'

// Shared by the balancer strategy unit tests (src/strategies/balancer/*.test.ts): plain backend
// objects the tests mutate directly.
export function makeBackends(count: number, weights?: readonly number[]): BackendState[] {
  return Array.from({ length: count }, (_, i) => ({
    url: `http://127.0.0.1:${8001 + i}`,
    weight: weights?.[i] ?? 1,
    inFlight: 0,
    healthy: true,
    ejected: false,
    draining: false,
  }))
}

/** Picks `n` times and counts how often each url was chosen. */
export function countPicks(pick: (path: string) => BackendState | null, n: number, pathFor: (i: number) => string = () => '/customers'): Map<string, number> {
  const counts = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const chosen = pick(pathFor(i))
    const key = chosen?.url ?? 'none'
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}
