import { Counter, Gauge, Registry } from 'prom-client'
import { BALANCER_METRICS as NAMES } from '../../contract/metric-names.js'
import { renderMetrics, type BackendSnapshot, type MetricsPage } from '../balancer-control.js'
import type { BackendErrorKind } from '../balancer-metrics.js'

/** What a real engine's counters say, read once per scrape or admin call. */
export interface EngineCounters {
  backends: BackendSnapshot[]
  /** Errors per backend url and kind. */
  errors: Map<string, Partial<Record<BackendErrorKind, number>>>
  retries: number
}

/**
 * The same lb_* metric names and labels as the built-in balancer, filled from a real engine's
 * counters (HAProxy's stats, nginx's access log), so the harness reads one format.
 */
export function createEngineMetrics(): { scrape(counters: EngineCounters): Promise<MetricsPage> } {
  const registry = new Registry()
  let current: EngineCounters = { backends: [], errors: new Map(), retries: 0 }
  new Counter({
    name: NAMES.requests,
    help: "Requests sent to each backend (from the engine's counters)",
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const b of current.backends) this.inc({ backend: b.url }, b.requests)
    },
  })
  new Gauge({
    name: NAMES.inFlight,
    help: 'Requests in flight to each backend (0 when the engine does not report it)',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      for (const b of current.backends) this.set({ backend: b.url }, b.inFlight)
    },
  })
  new Counter({
    name: NAMES.errors,
    help: 'Failed backend requests by kind',
    labelNames: ['backend', 'kind'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const [backend, kinds] of current.errors) for (const [kind, n] of Object.entries(kinds)) if (n) this.inc({ backend, kind }, n)
    },
  })
  new Counter({
    name: NAMES.ejections,
    help: 'Times each backend was taken out (health checks or passive)',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const b of current.backends) this.inc({ backend: b.url }, b.ejections)
    },
  })
  new Counter({
    name: NAMES.retries,
    help: 'Requests retried on another backend',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(current.retries)
    },
  })
  new Gauge({
    name: NAMES.backendUp,
    help: '1 when the backend may take new requests',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      for (const b of current.backends) this.set({ backend: b.url }, b.up ? 1 : 0)
    },
  })
  return {
    /** Called on every GET /metrics with the engine's counters read just now. */
    scrape(counters) {
      current = counters
      return renderMetrics(registry)
    },
  }
}
