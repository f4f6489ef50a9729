import { Counter, Gauge, Registry } from 'prom-client'
import { BALANCER_METRICS as NAMES } from '../contract/metric-names.js'

/** Error kinds in lb_errors_total{kind}. */
export type BackendErrorKind = 'connect' | 'reset' | 'timeout' | 'status_5xx' | 'response_aborted' | 'dependency_5xx'

/** The balancer's own Prometheus registry (names from the contract, src/contract/metric-names.ts; the harness scrapes them). */
export interface BalancerMetrics {
  readonly registry: Registry
  readonly requests: Counter<'backend'>
  readonly errors: Counter<'backend' | 'kind'>
  readonly ejections: Counter<'backend'>
  readonly retries: Counter
  readonly noBackend: Counter
}

/**
 * Created once per balancer. In-flight and up are gauges read at scrape time from the live
 * backend state (`readState`), so the request path pays nothing for them.
 */
export function createBalancerMetrics(readState: () => readonly { url: string; inFlight: number; up: boolean }[]): BalancerMetrics {
  const registry = new Registry()
  const requests = new Counter({
    name: NAMES.requests,
    help: 'Requests sent to each backend (retries included)',
    labelNames: ['backend'] as const,
    registers: [registry],
  })
  const errors = new Counter({ name: NAMES.errors, help: 'Failed backend requests by kind', labelNames: ['backend', 'kind'] as const, registers: [registry] })
  const ejections = new Counter({ name: NAMES.ejections, help: 'Passive ejections of each backend', labelNames: ['backend'] as const, registers: [registry] })
  const retries = new Counter({ name: NAMES.retries, help: 'Idempotent requests retried on another backend after a connect failure', registers: [registry] })
  const noBackend = new Counter({ name: NAMES.noBackend, help: 'Requests answered 503 because no backend was eligible', registers: [registry] })
  new Gauge({
    name: NAMES.inFlight,
    help: 'Requests in flight to each backend',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      for (const b of readState()) this.set({ backend: b.url }, b.inFlight)
    },
  })
  new Gauge({
    name: NAMES.backendUp,
    help: '1 when the backend may take new requests (healthy, not ejected, not draining)',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      for (const b of readState()) this.set({ backend: b.url }, b.up ? 1 : 0)
    },
  })
  return { registry, requests, errors, ejections, retries, noBackend }
}
