import { createServer } from 'node:http'
import { closeServer, listen } from '../http/listen.js'
import { createBalancer } from '../strategies/balancer/balancer-registry.js'
import { createAdminServer } from './admin-server.js'
import { BackendSet } from './backend-set.js'
import { renderMetrics, type BalancerControl, type BalancerSnapshot } from './balancer-control.js'
import { createBalancerMetrics } from './balancer-metrics.js'
import { balancerOptionsSchema, type BalancerOptionsInput } from './balancer-options.js'
import { HealthChecker } from './health-checker.js'
import { createProxyHandler } from './proxy-handler.js'
import type { RandomSource } from '../strategies/balancer/balancer.js'

/** A balancer running in this process (built-in engine) or supervising HAProxy/nginx. */
export interface RunningBalancer {
  /** Where clients send requests, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  /** The admin port's origin (127.0.0.1 only). */
  readonly adminUrl: string
  /** The token the admin port requires (Authorization: Bearer). */
  readonly adminToken: string
  readonly control: BalancerControl
  /** Resolves if the balancer stops by itself (a real engine died); never for the built-in one. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Stops accepting, lets in-flight requests finish (bounded), releases every resource. */
  close(): Promise<void>
}

/**
 * Starts the built-in Node balancer in this process: the main port proxies, the admin port
 * (always 127.0.0.1) controls. Options are validated here, once; a bad option throws with the
 * field named.
 */
export async function startBalancer(input: BalancerOptionsInput, extra: { random?: RandomSource } = {}): Promise<RunningBalancer> {
  const options = balancerOptionsSchema.parse(input)
  const backends = new BackendSet(options)
  const metrics = createBalancerMetrics(() => backends.list)
  backends.attachMetrics(metrics)
  const balancer = createBalancer(options.strategy, { random: extra.random, virtualNodes: options.virtualNodes })
  const health = new HealthChecker(backends.list, {
    intervalMs: options.healthIntervalMs,
    timeoutMs: options.healthTimeoutMs,
    rise: options.rise,
    fall: options.fall,
  })

  const control: BalancerControl = {
    async snapshot(): Promise<BalancerSnapshot> {
      return { engine: 'builtin', strategy: options.strategy, backends: backends.list.map((b) => b.snapshot()) }
    },
    async drain(url) {
      backends.get(url).draining = true
    },
    async undrain(url) {
      backends.get(url).draining = false
    },
    async setWeights(weights) {
      // Resolve every url first so a typo changes nothing.
      const resolved = Object.entries(weights).map(([url, weight]) => [backends.get(url), weight] as const)
      for (const [backend, weight] of resolved) backend.weight = weight
    },
    metrics: () => renderMetrics(metrics.registry),
  }

  const proxy = createProxyHandler({ backends, balancer, metrics, maxBodyBytes: options.maxBodyBytes })
  // GET /metrics on the main port answers the balancer's own metrics (the harness scrapes every
  // member at its main URL); every other path is proxied.
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      void control.metrics().then(({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType })
        res.end(body)
      })
      return
    }
    proxy(req, res)
  })
  const admin = createAdminServer(control, options.adminToken)

  const port = await listen(server, options.port, options.host)
  let adminPort: number
  try {
    adminPort = await listen(admin, options.adminPort, '127.0.0.1')
  } catch (err) {
    await closeServer(server)
    await backends.close()
    throw err
  }
  health.start()

  let closing: Promise<void> | null = null
  return {
    url: `http://${formatHost(options.host)}:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    adminToken: options.adminToken,
    control,
    exited: new Promise(() => {}),
    close() {
      closing ??= (async () => {
        await Promise.all([closeServer(server), closeServer(admin)])
        await health.stop()
        await backends.close()
      })()
      return closing
    },
  }
}

function formatHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}
