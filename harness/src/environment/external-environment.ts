import net from 'node:net'
import { HEALTH_PATH, METRICS_PATH } from '#crm-contract'
import { request } from 'undici'
import type { Topology } from '../scenario/scenario.js'
import { ADMIN_TOKEN_ENV, EnvironmentError, type Environment, type Fault, type Member, type StartedEnvironment } from './environment.js'

export interface ExternalEnvironmentOptions {
  /** Path asked before the load to see that the target answers (any HTTP status will do); null: only open a TCP connection (the user's own service gets no request it did not ask for). Default /health. */
  probePath?: string | null
  /** Whether the target serves LoadLab's /metrics (a CRM replica or balancer) to scrape during the run. Default true. */
  scrapeMetrics?: boolean
}

/**
 * A system the user runs (the scenario's `target`): nothing is started or stopped, faults are
 * refused, and the target is checked to answer before any load is sent.
 */
export class ExternalEnvironment implements Environment {
  readonly name = 'external'
  constructor(
    private readonly target: URL,
    private readonly options: ExternalEnvironmentOptions = {},
  ) {}

  async start(_topology: Topology | null, signal: AbortSignal): Promise<StartedEnvironment> {
    const target = this.target
    const probePath = this.options.probePath === undefined ? HEALTH_PATH : this.options.probePath
    try {
      if (probePath === null) await tcpProbe(target, 3_000)
      else {
        const res = await request(new URL(probePath, target), { headersTimeout: 3_000, bodyTimeout: 3_000, signal })
        await res.body.text()
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason
      const reason = error instanceof Error ? error.message : String(error)
      throw new EnvironmentError(`target ${target.href} is not reachable (${reason}); start the system first, or fix \`target\` in the scenario`)
    }
    const member: Member = {
      name: 'target',
      role: 'replica',
      url: target.origin,
      metricsUrl: this.options.scrapeMetrics === false ? null : new URL(METRICS_PATH, target).href,
      pid: null,
    }
    return {
      entrypoint: () => target,
      // The user's own system: seeding goes to the target, with the token the user exported (if any).
      adminEndpoint: () => ({ url: target, token: process.env[ADMIN_TOKEN_ENV] || undefined }),
      members: () => [member],
      fault: (f: Fault) =>
        Promise.reject(new EnvironmentError(`fault ${f.action} on ${f.member}: LoadLab did not start ${target.href}, so it cannot inject faults`)),
      stop: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    }
  }
}

/** Resolves once a TCP connection to the target's host and port opened (then closes it); rejects with the connect error. */
function tcpProbe(target: URL, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = net.connect(Number(target.port || (target.protocol === 'https:' ? 443 : 80)), target.hostname.replace(/^\[|\]$/g, ''))
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no connection after ${timeoutMs} ms`))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve()
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}
