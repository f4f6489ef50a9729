import type { Registry } from 'prom-client'

// What the admin port can ask of a running balancer, whatever the engine. The built-in balancer
// implements it directly; the HAProxy and nginx engines translate to their own runtime controls
// and counters, so the harness reads one format from every engine.

/** One backend as GET /admin/backends reports it. Times are epoch milliseconds. */
export interface BackendSnapshot {
  url: string
  weight: number
  /** Active health checks pass (rise/fall). */
  healthy: boolean
  /** Passively ejected after consecutive failures; cleared after the ejection period. */
  ejected: boolean
  draining: boolean
  /** healthy && !ejected && !draining: may take new requests. */
  up: boolean
  inFlight: number
  /** Requests sent to this backend (retries included). */
  requests: number
  /** Failed requests (connect errors, resets, timeouts, 5xx answers). */
  errors: number
  ejections: number
  /** When the balancer last sent a request to this backend; null if never (or unknown). */
  lastSentAt: number | null
  /** When `healthy` last changed; null if never. */
  healthChangedAt: number | null
  /** When the backend was last ejected; null if never. */
  ejectedAt: number | null
}

export interface BalancerSnapshot {
  engine: string
  strategy: string
  backends: BackendSnapshot[]
  /** What this engine cannot observe (e.g. nginx has no active health checks). */
  notes?: string[]
}

export class UnknownBackendError extends Error {
  constructor(
    readonly url: string,
    known: readonly string[],
  ) {
    super(`unknown backend "${url}": use one of ${known.join(', ')}`)
  }
}

/** The origin of a backend url as an admin call spelled it, or the text itself when it is no URL (then unknown). */
export function backendOrigin(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

/** Called by admin calls naming a backend: its index in `backends` (origins); throws UnknownBackendError. */
export function backendIndex(backends: readonly string[], url: string): number {
  const index = backends.indexOf(backendOrigin(url))
  if (index < 0) throw new UnknownBackendError(url, backends)
  return index
}

export class UnsupportedControlError extends Error {}

export interface BalancerControl {
  /** Called on GET /admin/backends. */
  snapshot(): Promise<BalancerSnapshot>
  /** Called on POST /admin/backends/drain: no new requests, in-flight ones finish. */
  drain(url: string): Promise<void>
  /** Called on POST /admin/backends/undrain. */
  undrain(url: string): Promise<void>
  /** Called on POST /admin/weights with every weight to change (url -> weight). */
  setWeights(weights: Readonly<Record<string, number>>): Promise<void>
  /** Called on GET /metrics (admin port, and the main port of the built-in balancer). */
  metrics(): Promise<MetricsPage>
}

/** A GET /metrics answer: Prometheus text and its content type. */
export interface MetricsPage {
  contentType: string
  body: string
}

/** Called by every engine's metrics(): the registry's current text. */
export async function renderMetrics(registry: Registry): Promise<MetricsPage> {
  return { contentType: registry.contentType, body: await registry.metrics() }
}
