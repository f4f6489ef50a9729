// The contract every balancer strategy implements. Strategies are pure choosers: they never do
// I/O, never mutate a backend's health, and never see the request body. The balancer process owns
// the BackendState objects and updates them (in-flight counts, health, ejection, drain) so the
// same strategy code can be unit-tested against plain objects.

import { BALANCER_STRATEGIES, type BalancerStrategyName } from '../../contract/strategy-names.js'

/** The live state of one backend as the balancer process sees it. */
export interface BackendState {
  /** Origin of the backend, e.g. `http://127.0.0.1:8001` (also the `X-Backend` value). */
  readonly url: string
  /** Relative share for weighted strategies; changed at run time through the admin port. */
  weight: number
  /** Requests sent to this backend whose response has not finished yet. */
  inFlight: number
  /** Result of active health checks (rise/fall); false = no new requests. */
  healthy: boolean
  /** Set by passive ejection (consecutive connect errors or 5xx) until the ejection period ends. */
  ejected: boolean
  /** Set by an operator through the admin port: finish what is in flight, take nothing new. */
  draining: boolean
}

/** What a strategy may look at in a request. */
export interface RequestInfo {
  method: string
  /** Path with query, as received (e.g. `/customers/abc/360?x=1`). */
  path: string
  /**
   * Backends already tried for this request (a retry after a connect failure); a strategy must
   * not pick them again.
   */
  exclude?: ReadonlySet<string>
}

export interface Balancer {
  /** Strategy name as users type it (`round-robin`, `p2c`, ...). */
  readonly name: BalancerStrategyName
  /**
   * Called once per proxied request (and once more for a retry). Receives every configured
   * backend in configuration order; returns an eligible one, or null when none is eligible
   * (the caller answers 503).
   */
  pick(req: RequestInfo, backends: readonly BackendState[]): BackendState | null
}

// The names are part of the contract with the harness.
export { BALANCER_STRATEGIES, type BalancerStrategyName }

/** A backend may take a new request only when healthy, not ejected, not draining, not excluded. */
export function isEligible(backend: BackendState, req: RequestInfo): boolean {
  return backend.healthy && !backend.ejected && !backend.draining && backend.weight > 0 && !(req.exclude?.has(backend.url) ?? false)
}

/** Random source in [0, 1); injectable so tests can make random strategies deterministic. */
export type RandomSource = () => number
