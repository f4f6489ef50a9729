import type { EnvironmentInfo } from '../results/results-schema.js'
import type { FaultSpec, Topology } from '../scenario/scenario.js'

// The life cycle of a system under test: configure -> started -> stopped. The runner starts one
// per run and always stops it (after the run, on error, on Ctrl-C).

export type MemberRole = 'replica' | 'shard' | 'balancer' | 'redis' | 'memcached' | 'postgres' | 'downstream' | 'rabbitmq' | 'kafka'

/** One process (or container, or external endpoint) of a started topology. */
export interface Member {
  /** Stable name used by faults and reports: replica-1.., shard-0.., balancer, redis, memcached, postgres, downstream, rabbitmq, kafka. */
  name: string
  role: MemberRole
  /** Base URL it serves on (redis: redis://..., memcached: memcached://host:port, postgres: postgres://...). */
  url: string
  /** Prometheus endpoint, or null when the member has none (redis, memcached, postgres, rabbitmq, kafka). */
  metricsUrl: string | null
  /** OS process id while it runs locally; null for containers, external members or after it exited. */
  pid: number | null
  /** Docker container name, when the member runs in a container. */
  container?: string
  /** Other URLs that reach this member (a Toxiproxy listener in front of it): the balancer may know it by one of these. */
  aliases?: string[]
}

/** A scenario fault, due now: its action, its target (`member` or `link`) and its parameters. */
export type Fault = Omit<FaultSpec, 'atS'>

/** What a fault acts on, as reports show it: the member, or the link ("replica-1 -> shard-0"). */
export function faultTarget(f: Pick<FaultSpec, 'member' | 'link'>): string {
  return f.member ?? f.link ?? '?'
}

/**
 * Where the harness's admin calls (seeding, slowdown) go: a replica directly, since a balancer
 * proxies the public API only, with the token its /admin routes require.
 */
export interface AdminEndpoint {
  url: URL
  /** Sent as `Authorization: Bearer <token>`; undefined when unknown (an external target without LOADLAB_ADMIN_TOKEN). */
  token: string | undefined
}

// The variable that hands a CRM role its admin token, and the headers of an admin call: the CRM
// contract's, named here too for the environments that use them.
export { ADMIN_TOKEN_ENV, adminHeaders } from '#crm-contract'

export interface StartedEnvironment extends AsyncDisposable {
  /** Called by the runner for the base URL the load goes to (the balancer, or the single replica). */
  entrypoint(): URL
  /** Called by the runner before seeding: where admin calls go and with which token. */
  adminEndpoint(): AdminEndpoint
  /** Called for metrics scraping, fault targets and the pid list; reflects restarts. */
  members(): Member[]
  /** Called by the runner when a scheduled fault is due; resolves with a short detail, throws when it could not be applied. */
  fault(f: Fault): Promise<string>
  /** Called once by the runner (in `finally`): stops every process it started. Safe to call twice. */
  stop(): Promise<void>
  /** Called by the runner once the run ends, for results.json: what an environment adds about itself (images, limits, ...). */
  describe?(): EnvironmentInfo
}

export interface Environment {
  /** 'local' | 'containers' | 'external'; stored in results as topology.environment. */
  readonly name: string
  /** Called once per run; rejects (after cleaning up what it started) when a member fails to start or `signal` aborts. */
  start(topology: Topology | null, signal: AbortSignal): Promise<StartedEnvironment>
}

/** A failure of the environment the user can act on (a missing binary, a member that would not start). */
export class EnvironmentError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EnvironmentError'
  }
}
