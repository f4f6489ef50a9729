import { Pool } from 'undici'
import type { BackendState } from '../strategies/balancer/balancer.js'
import type { BackendSnapshot } from './balancer-control.js'

/**
 * One backend of the built-in balancer: the state strategies read, its keep-alive pool, and the
 * counters and timestamps the admin port reports. Only BackendSet and the proxy change it.
 */
export class Backend implements BackendState {
  weight: number
  inFlight = 0
  healthy = true
  ejected = false
  draining = false
  requests = 0
  errors = 0
  ejections = 0
  /** Consecutive connect errors / 5xx answers (passive health); reset by any good answer. */
  consecutiveFailures = 0
  /** Consecutive active check results in the current direction (for rise/fall). */
  checkStreak = 0
  lastSentAt: number | null = null
  healthChangedAt: number | null = null
  ejectedAt: number | null = null
  ejectionTimer: NodeJS.Timeout | null = null
  /** lb_requests_total{backend=url}, resolved once: the request path should not hash labels. */
  requestCounter: { inc(): void } | undefined = undefined
  readonly pool: Pool

  constructor(
    readonly url: string,
    weight: number,
    connections: number,
  ) {
    this.weight = weight
    this.pool = new Pool(url, {
      connections,
      pipelining: 1,
      // Give up connecting fast: a dead backend must turn into a retry, not a stall.
      connect: { timeout: 2000 },
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      keepAliveTimeout: 4000,
    })
  }

  get up(): boolean {
    return this.healthy && !this.ejected && !this.draining
  }

  snapshot(): BackendSnapshot {
    return {
      url: this.url,
      weight: this.weight,
      healthy: this.healthy,
      ejected: this.ejected,
      draining: this.draining,
      up: this.up,
      inFlight: this.inFlight,
      requests: this.requests,
      errors: this.errors,
      ejections: this.ejections,
      lastSentAt: this.lastSentAt,
      healthChangedAt: this.healthChangedAt,
      ejectedAt: this.ejectedAt,
    }
  }
}
