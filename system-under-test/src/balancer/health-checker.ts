import { Client } from 'undici'
import type { Backend } from './backend.js'

export interface HealthCheckOptions {
  intervalMs: number
  timeoutMs: number
  /** Consecutive passing checks that bring an unhealthy backend back. */
  rise: number
  /** Consecutive failing checks that take a healthy backend out. */
  fall: number
}

/**
 * Active health checks: GET /health on every backend each interval, on a connection of its own
 * (so a check never queues behind proxied requests and a slow-but-alive backend is not mistaken
 * for a dead one). Backends start healthy, as in HAProxy: the balancer serves at once.
 */
export class HealthChecker {
  private timer: NodeJS.Timeout | null = null
  private readonly clients = new Map<string, Client>()
  private running = new Set<Promise<void>>()

  constructor(
    private readonly backends: readonly Backend[],
    private readonly options: HealthCheckOptions,
  ) {
    for (const b of backends) this.clients.set(b.url, new Client(b.url, { connect: { timeout: options.timeoutMs }, pipelining: 1 }))
  }

  /** Called once when the balancer starts listening. */
  start(): void {
    this.timer = setInterval(() => {
      for (const backend of this.backends) {
        const check = this.checkOne(backend).finally(() => this.running.delete(check))
        this.running.add(check)
      }
    }, this.options.intervalMs)
    this.timer.unref()
  }

  private async checkOne(backend: Backend): Promise<void> {
    const client = this.clients.get(backend.url)!
    let passed = false
    try {
      const response = await client.request({ path: '/health', method: 'GET', signal: AbortSignal.timeout(this.options.timeoutMs) })
      await response.body.dump()
      passed = response.statusCode >= 200 && response.statusCode < 400
    } catch {
      passed = false
    }
    this.record(backend, passed)
  }

  private record(backend: Backend, passed: boolean): void {
    if (passed === backend.healthy) {
      backend.checkStreak = 0
      return
    }
    backend.checkStreak++
    if (backend.checkStreak >= (passed ? this.options.rise : this.options.fall)) {
      backend.healthy = passed
      backend.healthChangedAt = Date.now()
      backend.checkStreak = 0
    }
  }

  /** Called on shutdown. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await Promise.allSettled([...this.running])
    await Promise.all([...this.clients.values()].map((c) => c.destroy()))
  }
}
