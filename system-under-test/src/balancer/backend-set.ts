import type { BalancerOptions } from './balancer-options.js'
import { Backend } from './backend.js'
import type { BackendErrorKind, BalancerMetrics } from './balancer-metrics.js'
import { backendOrigin, UnknownBackendError } from './balancer-control.js'

/**
 * The configured backends and their passive health: consecutive connect errors or 5xx answers
 * of their own eject a backend for `ejectMs`; any good answer resets the count.
 */
export class BackendSet {
  readonly list: Backend[]
  private metrics: BalancerMetrics | null = null

  constructor(private readonly options: Pick<BalancerOptions, 'backends' | 'weights' | 'ejectAfter' | 'ejectMs' | 'connectionsPerBackend'>) {
    this.list = options.backends.map((url, i) => new Backend(url, options.weights?.[i] ?? 1, options.connectionsPerBackend))
  }

  /** Called once after the metrics exist (they read this set's state at scrape time). */
  attachMetrics(metrics: BalancerMetrics): void {
    this.metrics = metrics
  }

  get(url: string): Backend {
    const backend = this.list.find((b) => b.url === url) ?? this.list.find((b) => b.url === backendOrigin(url))
    if (!backend)
      throw new UnknownBackendError(
        url,
        this.list.map((b) => b.url),
      )
    return backend
  }

  /** Called when a request is about to be sent to `backend` (the caller decrements inFlight when done). */
  onSend(backend: Backend): void {
    backend.inFlight++
    backend.requests++
    backend.lastSentAt = Date.now()
    backend.requestCounter ??= this.metrics?.requests.labels(backend.url)
    backend.requestCounter?.inc()
  }

  /** Called when a backend answered with a status below 500. */
  onGoodAnswer(backend: Backend): void {
    backend.consecutiveFailures = 0
  }

  /**
   * Called on a 5xx the backend marks as its dependency's (a shard down): counted for the
   * metrics, but it neither ejects the backend nor clears its failure streak.
   */
  onDependencyFailure(backend: Backend): void {
    this.metrics?.errors.labels(backend.url, 'dependency_5xx').inc()
  }

  /** Called on a connect error, reset, timeout or 5xx answer of the backend's own. */
  onFailure(backend: Backend, kind: BackendErrorKind): void {
    backend.errors++
    this.metrics?.errors.labels(backend.url, kind).inc()
    backend.consecutiveFailures++
    if (!backend.ejected && backend.consecutiveFailures >= this.options.ejectAfter) this.eject(backend)
  }

  private eject(backend: Backend): void {
    backend.ejected = true
    backend.ejectedAt = Date.now()
    backend.ejections++
    this.metrics?.ejections.labels(backend.url).inc()
    backend.ejectionTimer = setTimeout(() => {
      backend.ejected = false
      backend.consecutiveFailures = 0
      backend.ejectionTimer = null
    }, this.options.ejectMs)
    backend.ejectionTimer.unref()
  }

  /** Called on shutdown, after the last in-flight request. */
  async close(): Promise<void> {
    for (const backend of this.list) if (backend.ejectionTimer) clearTimeout(backend.ejectionTimer)
    await Promise.all(this.list.map((b) => b.pool.close().catch(() => b.pool.destroy())))
  }
}
