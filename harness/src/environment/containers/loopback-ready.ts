import { connect } from 'node:net'
import type { WaitStrategy } from 'testcontainers'
import { request } from 'undici'
import type { Dockerode } from './docker-runtime.js'

type DockerContainer = ReturnType<Dockerode['getContainer']>

/**
 * Testcontainers wait strategy for a member on host networking: ready when 127.0.0.1:<port>
 * answers (an HTTP path with 200, or a TCP connection). Testcontainers' own port strategies look
 * for published ports (none here) or need a shell in the image. Fails at once when the container
 * exits or `signal` aborts, instead of waiting out the timeout.
 */
export class LoopbackReady implements WaitStrategy {
  private timeoutMs = 30_000
  private timeoutSet = false

  constructor(
    private readonly port: number,
    /** GET this path and expect 200; null = a TCP connection is enough (redis, postgres). */
    private readonly httpPath: string | null,
    private readonly signal?: AbortSignal,
  ) {}

  async waitUntilReady(container: DockerContainer): Promise<void> {
    const deadline = Date.now() + this.timeoutMs
    let last = 'no answer yet'
    for (;;) {
      this.signal?.throwIfAborted()
      const state = (await container.inspect()).State
      if (!state.Running) throw new Error(`its container exited (code ${state.ExitCode}) before it was ready`)
      const answer = await this.probe()
      if (answer === null) return
      last = answer
      if (Date.now() > deadline)
        throw new Error(`127.0.0.1:${this.port}${this.httpPath ?? ''} did not answer within ${this.timeoutMs / 1000} s (last: ${last})`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  withStartupTimeout(startupTimeoutMs: number): this {
    this.timeoutMs = startupTimeoutMs
    this.timeoutSet = true
    return this
  }

  isStartupTimeoutSet(): boolean {
    return this.timeoutSet
  }

  getStartupTimeout(): number {
    return this.timeoutMs
  }

  /** null when ready, else what went wrong. */
  private async probe(): Promise<string | null> {
    if (this.httpPath === null) return tcpProbe(this.port)
    try {
      const res = await request(`http://127.0.0.1:${this.port}${this.httpPath}`, { headersTimeout: 1_000, bodyTimeout: 1_000 })
      await res.body.text()
      return res.statusCode === 200 ? null : `HTTP ${res.statusCode}`
    } catch (error) {
      return error instanceof Error ? error.message : String(error)
    }
  }
}

function tcpProbe(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (answer: string | null) => {
      socket.destroy()
      resolve(answer)
    }
    socket.setTimeout(1_000, () => done('connect timed out'))
    socket.once('connect', () => done(null))
    socket.once('error', (error) => done(error.message))
  })
}
