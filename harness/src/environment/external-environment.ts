import { request } from 'undici'
import type { Topology } from '../scenario/scenario.js'
import { EnvironmentError, type Environment, type Fault, type Member, type StartedEnvironment } from './environment.js'

/**
 * A system the user runs (the scenario's `target`): nothing is started or stopped, faults are
 * refused, and the target is checked to answer before any load is sent.
 */
export interface ExternalEnvironmentOptions {
  /** Path asked before the load to see that the target answers (any HTTP status will do); null: the target URL itself. Default /health. */
  probePath?: string | null
  /** Whether the target serves LoadLab's /metrics (a CRM replica or balancer) to scrape during the run. Default true. */
  scrapeMetrics?: boolean
}

export class ExternalEnvironment implements Environment {
  readonly name = 'external'
  constructor(private readonly target: URL, private readonly options: ExternalEnvironmentOptions = {}) {}

  async start(_topology: Topology | null, signal: AbortSignal): Promise<StartedEnvironment> {
    const target = this.target
    const probePath = this.options.probePath === undefined ? '/health' : this.options.probePath
    try {
      const res = await request(probePath === null ? target : new URL(probePath, target), { headersTimeout: 3_000, bodyTimeout: 3_000, signal })
      await res.body.text()
    } catch (error) {
      if (signal.aborted) throw signal.reason
      const reason = error instanceof Error ? error.message : String(error)
      throw new EnvironmentError(
        `target ${target.href} is not reachable (${reason}); start the system first, or fix \`target\` in the scenario`,
      )
    }
    const member: Member = { name: 'target', role: 'replica', url: target.origin, metricsUrl: this.options.scrapeMetrics === false ? null : new URL('/metrics', target).href, pid: null }
    return {
      entrypoint: () => target,
      members: () => [member],
      fault: (f: Fault) => Promise.reject(new EnvironmentError(`fault ${f.action} on ${f.member}: LoadLab did not start ${target.href}, so it cannot inject faults`)),
      stop: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    }
  }
}
