import { request } from 'undici'
import type { Topology } from '../scenario/scenario.js'
import { ADMIN_TOKEN_ENV, EnvironmentError, type Environment, type Fault, type Member, type StartedEnvironment } from './environment.js'

/**
 * A system the user runs (the scenario's `target`): nothing is started or stopped, faults are
 * refused, and the target is checked to answer before any load is sent.
 */
export class ExternalEnvironment implements Environment {
  readonly name = 'external'
  constructor(private readonly target: URL) {}

  async start(_topology: Topology | null, signal: AbortSignal): Promise<StartedEnvironment> {
    const target = this.target
    try {
      const res = await request(new URL('/health', target), { headersTimeout: 3_000, bodyTimeout: 3_000, signal })
      await res.body.text()
    } catch (error) {
      if (signal.aborted) throw signal.reason
      const reason = error instanceof Error ? error.message : String(error)
      throw new EnvironmentError(
        `target ${target.href} is not reachable (${reason}); start the system first, or fix \`target\` in the scenario`,
      )
    }
    const member: Member = { name: 'target', role: 'replica', url: target.origin, metricsUrl: new URL('/metrics', target).href, pid: null }
    return {
      entrypoint: () => target,
      // The user's own system: seeding goes to the target, with the token the user exported (if any).
      adminEndpoint: () => ({ url: target, token: process.env[ADMIN_TOKEN_ENV] || undefined }),
      members: () => [member],
      fault: (f: Fault) => Promise.reject(new EnvironmentError(`fault ${f.action} on ${f.member}: LoadLab did not start ${target.href}, so it cannot inject faults`)),
      stop: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    }
  }
}
