import { randomBytes } from 'node:crypto'
import { appendFileSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import type { CapacitySpec, Topology } from '../scenario/scenario.js'
import { ADMIN_TOKEN_ENV, adminHeaders, EnvironmentError, type AdminEndpoint, type Environment, type Fault, type Member, type MemberRole, type StartedEnvironment } from './environment.js'
import { freePort } from './free-port.js'
import { ManagedProcess, type ManagedProcessSpec } from './managed-process.js'

/** The SUT entry point, relative to this file (harness/{src,dist}/environment/). */
export const SUT_MAIN = fileURLToPath(new URL('../../../system-under-test/dist/main.js', import.meta.url))

const LISTENING = /^LISTENING (http:\/\/\S+)/
const ADMIN = /^ADMIN (http:\/\/\S+)/
const REDIS_READY = /Ready to accept connections/

export interface LocalEnvironmentOptions {
  /** Folder for the members' logs (<logDir>/<member>.log). */
  logDir: string
  /** Appended with "<pid> <member>" for every process spawned (restarts too), so a test or the user can check none is left. */
  pidFile?: string
  /** How long one member may take to print its ready line. */
  startupTimeoutMs?: number
  /** Overrides SUT_MAIN (tests). */
  sutMain?: string
}

/**
 * Starts a topology as child processes on free loopback ports: shard servers, then a redis-server
 * when the cache is `redis`, then the replicas, then the balancer when there is more than one
 * replica. Stops everything it started, also when a member fails to start.
 */
export class LocalEnvironment implements Environment {
  readonly name = 'local'
  constructor(private readonly options: LocalEnvironmentOptions) {}

  async start(topology: Topology | null, signal: AbortSignal): Promise<StartedEnvironment> {
    if (topology === null) throw new EnvironmentError('the local environment needs a topology (this scenario has a `target`)')
    if (topology.store === 'postgres') {
      throw new EnvironmentError(
        'store "postgres": the local environment does not start PostgreSQL (it cannot run as root, and databases need provisioning). ' +
          'Use store "embedded" (the default), or start replicas yourself with `--store postgres --shards postgres://...` ' +
          'and point a scenario\'s `target` at them',
      )
    }
    mkdirSync(this.options.logDir, { recursive: true })
    const started = new LocalTopology(topology, this.options)
    try {
      await started.bringUp(signal)
      return started
    } catch (error) {
      await started.stop()
      throw error
    }
  }
}

interface RunningMember {
  name: string
  role: MemberRole
  process: ManagedProcess
  url: string
  metricsUrl: string | null
}

class LocalTopology implements StartedEnvironment {
  private readonly running: RunningMember[] = []
  private entry: URL | null = null
  private stopped: Promise<void> | null = null
  /** One admin token per start, handed to every CRM member through its environment (never its command line). */
  private readonly adminToken = randomBytes(32).toString('base64url')

  constructor(
    private readonly topology: Topology,
    private readonly options: LocalEnvironmentOptions,
  ) {}

  async bringUp(signal: AbortSignal): Promise<void> {
    const t = this.topology
    const main = this.options.sutMain ?? SUT_MAIN
    const shardUrls = await Promise.all(
      Array.from({ length: t.shards }, (_, i) =>
        this.launch(`shard-${i}`, 'shard', process.execPath, (port) => [main, 'shard', '--port', String(port), '--shard-index', String(i), ...this.durabilityFlags(i), ...capacityFlags(t.capacity.shard)], signal),
      ),
    )
    // Range partitions split a time window by customer-id time. Every replica (and a replica
    // restarted by a fault, maybe after UTC midnight) must use the same window, or they would
    // disagree on which shard owns a customer: fix it once for the topology. The seeded data
    // spreads over the past year, so the window is the year before start; later customers go
    // to the last shard, as they would in production.
    const rangeEnd = new Date()
    const rangeStart = new Date(rangeEnd.getTime() - 365 * 24 * 3600 * 1000)
    const rangeFlags = ['--range-start', rangeStart.toISOString(), '--range-end', rangeEnd.toISOString()]
    let redisUrl: string | null = null
    if (t.cache.strategy === 'redis') {
      const port = await freePort()
      redisUrl = `redis://127.0.0.1:${port}`
      await this.launch('redis', 'redis', 'redis-server', (p) => ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], signal, port, [REDIS_READY], redisUrl, {
        whenHarnessDies: 'kill',
        // redis-server replaces its command line with "redis-server 127.0.0.1:<port>".
        commandLineMatch: (p) => ['redis-server', `:${p}`],
      })
    }
    const replicaUrls = await Promise.all(
      Array.from({ length: t.replicas }, (_, i) =>
        this.launch(`replica-${i + 1}`, 'replica', process.execPath, (port) => [
          main, 'replica', '--port', String(port), '--name', `replica-${i + 1}`,
          '--shards', shardUrls.join(','), '--store', t.store, '--partition', t.partition, ...rangeFlags,
          '--cache', t.cache.strategy, '--cache-size', String(t.cache.size), '--cache-ttl-ms', String(t.cache.ttlMs),
          '--write-policy', t.cache.writePolicy, ...(redisUrl ? ['--redis', redisUrl] : []),
          ...capacityFlags(t.capacity.replica),
        ], signal),
      ),
    )
    if (t.replicas > 1) {
      const balancerUrl = await this.launch('balancer', 'balancer', process.execPath, (port) => [
        main, 'balancer', '--port', String(port), '--strategy', t.balancer.strategy, '--engine', t.balancer.engine,
        '--backends', replicaUrls.join(','), ...(t.balancer.weights ? ['--weights', t.balancer.weights.join(',')] : []),
      ], signal, 0, [LISTENING, ADMIN])
      this.entry = new URL(balancerUrl)
      // The balancer health-checks its backends before routing to them: wait until it serves.
      await waitUntilServing(new URL('/ready', this.entry), signal, 'balancer')
    } else {
      this.entry = new URL(replicaUrls[0])
    }
  }

  /**
   * A durable shard's log lives in the run folder, next to its process log; a `restart` fault
   * starts the shard on the same file, so it replays what it acknowledged. A file left from an
   * earlier start is removed first: a new topology starts empty.
   */
  private durabilityFlags(shard: number): string[] {
    if (this.topology.durability === 'none') return []
    const dataFile = path.join(this.options.logDir, `shard-${shard}.aof`)
    if (!this.running.some((m) => m.name === `shard-${shard}`)) rmSync(dataFile, { force: true })
    return ['--durability', this.topology.durability, '--data-file', dataFile]
  }

  entrypoint(): URL {
    if (!this.entry) throw new EnvironmentError('the topology is not started')
    return this.entry
  }

  adminEndpoint(): AdminEndpoint {
    const replica = this.running.find((m) => m.role === 'replica' && m.process.running)
    if (!replica) throw new EnvironmentError('no replica is running to take admin calls')
    return { url: new URL(replica.url), token: this.adminToken }
  }

  members(): Member[] {
    return this.running.map((m) => ({ name: m.name, role: m.role, url: m.url, metricsUrl: m.metricsUrl, pid: m.process.pid }))
  }

  async fault(f: Fault): Promise<string> {
    const member = this.running.find((m) => m.name === f.member)
    if (!member) {
      throw new EnvironmentError(`fault ${f.action}: no member "${f.member}"; members: ${this.running.map((m) => m.name).join(', ')}`)
    }
    const p = member.process
    switch (f.action) {
      case 'kill': {
        const pid = p.pid
        p.signal('SIGKILL')
        await p.waitForExit()
        return `SIGKILL (pid ${pid})`
      }
      case 'pause':
        p.signal('SIGSTOP')
        return 'SIGSTOP'
      case 'resume':
        p.signal('SIGCONT')
        return 'SIGCONT'
      case 'restart': {
        await p.stop()
        // Same port, so the balancer (and the replicas, for a shard) find it again.
        const ready = await p.start(new AbortController().signal)
        // The balancer's admin port is not fixed: it may come back elsewhere.
        if (member.role === 'balancer' && ready.captures[1]) member.metricsUrl = `${ready.captures[1]}/metrics`
        return `restarted on ${member.url} (pid ${p.pid})`
      }
      case 'slow': {
        if (member.role === 'redis' || member.role === 'balancer') throw new EnvironmentError(`fault slow: ${member.name} has no service-time model; slow a replica or a shard`)
        const factor = f.factor ?? 1
        const res = await request(new URL('/admin/slowdown', member.url), {
          method: 'POST',
          headers: adminHeaders(this.adminToken),
          body: JSON.stringify({ factor }),
          headersTimeout: 5_000,
          bodyTimeout: 5_000,
        })
        await res.body.text()
        if (res.statusCode !== 200) throw new EnvironmentError(`fault slow: ${member.name} answered ${res.statusCode}`)
        return `service time x${factor}`
      }
      default:
        throw new EnvironmentError(`fault ${f.action}: local processes have no CPU quota or network links to act on; use the containers environment (--env containers)`)
    }
  }

  stop(): Promise<void> {
    // Reverse start order: the balancer first, so no traffic hits replicas that are going away.
    this.stopped ??= (async () => {
      const members = [...this.running].reverse()
      await Promise.all(members.map((m) => m.process.stop()))
      await Promise.all(members.map((m) => m.process.close()))
    })()
    return this.stopped
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop()
  }

  /** Spawns one member, records it (before it is ready, so a failed start is still stopped) and returns its URL. */
  private async launch(
    name: string,
    role: MemberRole,
    command: string,
    args: (port: number) => string[],
    signal: AbortSignal,
    port = 0,
    readyPatterns: RegExp[] = [LISTENING],
    fixedUrl?: string,
    lifecycle: Pick<ManagedProcessSpec, 'whenHarnessDies' | 'commandLineMatch'> = {
      whenHarnessDies: 'close',
      // A role's command line: node <main.js> <role> ...
      commandLineMatch: (p) => args(p).slice(0, 2),
    },
  ): Promise<string> {
    const proc = new ManagedProcess({
      name,
      command,
      args,
      ...lifecycle,
      logFile: path.join(this.options.logDir, `${name}.log`),
      readyPatterns,
      startupTimeoutMs: this.options.startupTimeoutMs ?? 20_000,
      onSpawn: (pid) => {
        if (this.options.pidFile) appendFileSync(this.options.pidFile, `${pid} ${name}\n`)
      },
      env: role === 'redis' ? process.env : { ...process.env, [ADMIN_TOKEN_ENV]: this.adminToken },
    })
    const member: RunningMember = { name, role, process: proc, url: fixedUrl ?? '', metricsUrl: null }
    this.running.push(member)
    const ready = await proc.start(signal, port)
    if (!fixedUrl) member.url = ready.url
    // The balancer serves its metrics on the admin port; redis has none.
    if (role === 'redis') member.metricsUrl = null
    else if (role === 'balancer') member.metricsUrl = `${ready.captures[1] || ready.url}/metrics`
    else member.metricsUrl = `${ready.url}/metrics`
    return member.url
  }
}

function capacityFlags(c: Required<CapacitySpec> | undefined): string[] {
  if (!c) return []
  return ['--service-time', c.serviceTime, '--slots', String(c.slots), '--queue-limit', String(c.queueLimit)]
}

async function waitUntilServing(url: URL, signal: AbortSignal, name: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  while (Date.now() < deadline) {
    if (signal.aborted) throw signal.reason
    try {
      const res = await request(url, { headersTimeout: 1_000, bodyTimeout: 1_000, signal })
      await res.body.text()
      if (res.statusCode === 200) return
      last = `HTTP ${res.statusCode}`
    } catch (error) {
      last = error instanceof Error ? error.message : String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new EnvironmentError(`${name} at ${url.origin} did not answer ${url.pathname} with 200 within ${timeoutMs / 1000} s (last: ${last})`)
}
