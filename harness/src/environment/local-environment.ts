import { randomBytes } from 'node:crypto'
import { appendFileSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  ADMIN_LINE,
  ADMIN_TOKEN_ENV,
  balancerArgs,
  type DownstreamArgs,
  downstreamArgs,
  LISTENING_LINE,
  METRICS_PATH,
  READY_PATH,
  replicaArgs,
  type ShardArgs,
  shardArgs,
} from '#crm-contract'
import { request } from 'undici'
import type { Topology } from '../scenario/scenario.js'
import { must } from '../util/must.js'
import { EnvironmentError, type AdminEndpoint, type Environment, type Fault, type Member, type MemberRole, type StartedEnvironment } from './environment.js'
import { freePort } from './free-port.js'
import { initLocalPostgres } from './local-postgres.js'
import { ManagedProcess, type ManagedProcessSpec } from './managed-process.js'
import { slowMember } from './slow-member.js'
import { runningAsRoot } from './parent-death.js'
import { probeMemcached } from './probe-memcached.js'
import { findJava, formatKafkaStorage, KAFKA_READY, kafkaArgs, kafkaClassPath, kafkaUrl, writeKafkaConfig } from './kafka-server.js'
import { amqpUrl, EPMD, EPMD_READY, epmdArgs, RABBITMQ_READY, RABBITMQ_SERVER, rabbitMqEnv } from './rabbitmq-server.js'

/** The SUT entry point, relative to this file (harness/{src,dist}/environment/). */
export const SUT_MAIN = fileURLToPath(new URL('../../../system-under-test/dist/main.js', import.meta.url))

const REDIS_READY = /Ready to accept connections/
const POSTGRES_READY = /database system is ready to accept connections/
/** Members that are servers LoadLab did not write: no admin token, no /metrics, no service-time model. */
const THIRD_PARTY: readonly MemberRole[] = ['redis', 'memcached', 'postgres']
/** memcached's item memory (MB): its default, said here so a run's results do not depend on the package's. */
const MEMCACHED_MEMORY_MB = 64

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
 * Starts a topology as child processes on free loopback ports: shard servers (or, with store
 * `postgres`, a PostgreSQL cluster of its own), then a redis-server or memcached when the cache is
 * shared, then the replicas, then the balancer when there is more than one replica. Stops
 * everything it started, also when a member fails to start, and removes the PostgreSQL cluster.
 */
export class LocalEnvironment implements Environment {
  readonly name = 'local'
  constructor(private readonly options: LocalEnvironmentOptions) {}

  async start(topology: Topology | null, signal: AbortSignal): Promise<StartedEnvironment> {
    if (topology === null) throw new EnvironmentError('the local environment needs a topology (this scenario has a `target`)')
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
  /** Processes a member needs that are no fault target themselves (the broker's epmd); stopped last. */
  private readonly helpers: ManagedProcess[] = []
  /** One admin token per start, handed to every CRM member through its environment (never its command line). */
  private readonly adminToken = randomBytes(32).toString('base64url')
  /** Extra environment of the CRM members (PGPASSWORD of the PostgreSQL cluster). */
  private readonly crmEnv: Record<string, string> = {}
  /** Run after every process stopped (removing the PostgreSQL cluster), in reverse order of registration. */
  private readonly cleanups: (() => Promise<void>)[] = []

  constructor(
    private readonly topology: Topology,
    private readonly options: LocalEnvironmentOptions,
  ) {}

  async bringUp(signal: AbortSignal): Promise<void> {
    const t = this.topology
    const main = this.options.sutMain ?? SUT_MAIN
    const sync = t.sync.strategy
    const brokerUrl = sync !== 'queue-push' ? null : t.sync.broker === 'kafka' ? await this.startKafka(signal) : await this.startRabbitMq(signal)
    const shardUrls =
      t.store === 'postgres'
        ? await this.startPostgres(signal)
        : await Promise.all(
            Array.from({ length: t.shards }, (_, i) =>
              this.launch(
                `shard-${i}`,
                'shard',
                process.execPath,
                (port) => [main, ...shardArgs({ port, shardIndex: i, durability: this.durability(i), capacity: t.emulation.shard, publishTo: brokerUrl })],
                signal,
              ),
            ),
          )
    // sync-call replicas need downstream's URL; a puller needs the replicas'.
    let downstreamUrl: string | null = null
    if (sync === 'sync-call' || sync === 'queue-push') downstreamUrl = await this.startDownstream(main, brokerUrl ? { consume: brokerUrl } : {}, signal)
    // Range partitions split a time window by customer-id time. Every replica (and a replica
    // restarted by a fault, maybe after UTC midnight) must use the same window, or they would
    // disagree on which shard owns a customer: fix it once for the topology. The seeded data
    // spreads over the past year, so the window is the year before start; later customers go
    // to the last shard, as they would in production.
    const rangeEnd = new Date()
    const rangeStart = new Date(rangeEnd.getTime() - 365 * 24 * 3600 * 1000)
    let redisUrl: string | null = null
    if (t.cache.strategy === 'redis') {
      const port = await freePort()
      redisUrl = `redis://127.0.0.1:${port}`
      await this.launch(
        'redis',
        'redis',
        'redis-server',
        (p) => ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        signal,
        port,
        [REDIS_READY],
        redisUrl,
        {
          whenHarnessDies: 'kill',
          // redis-server replaces its command line with "redis-server 127.0.0.1:<port>".
          commandLineMatch: (p) => ['redis-server', `:${p}`],
        },
      )
    }
    let memcachedServer: string | null = null
    if (t.cache.strategy === 'memcached') {
      const port = await freePort()
      memcachedServer = `127.0.0.1:${port}`
      await this.launch(
        'memcached',
        'memcached',
        'memcached',
        (p) => ['-l', '127.0.0.1', '-p', String(p), '-U', '0', '-m', String(MEMCACHED_MEMORY_MB)],
        signal,
        port,
        [],
        `memcached://${memcachedServer}`,
        {
          whenHarnessDies: 'kill',
          commandLineMatch: (p) => ['memcached', `-p ${p}`],
          readyProbe: probeMemcached,
          // memcached refuses root: setpriv drops it (memcached's own -u would clear the parent-death signal).
          ...(runningAsRoot() ? { runAs: { user: 'nobody', group: 'nogroup' } } : {}),
        },
      )
    }
    const replicaUrls = await Promise.all(
      Array.from({ length: t.replicas }, (_, i) =>
        this.launch(
          `replica-${i + 1}`,
          'replica',
          process.execPath,
          (port) => [
            main,
            ...replicaArgs({
              port,
              name: `replica-${i + 1}`,
              shardUrls,
              store: t.store,
              partition: t.partition,
              rangeStart,
              rangeEnd,
              cache: t.cache,
              redisUrl,
              memcachedServer,
              syncCall: sync === 'sync-call' && downstreamUrl ? { url: downstreamUrl } : null,
              capacity: t.emulation.replica,
            }),
          ],
          signal,
        ),
      ),
    )
    if (sync === 'scheduled-pull') await this.startDownstream(main, { pullFrom: replicaUrls, intervalMs: t.sync.intervalMs }, signal)
    if (t.replicas > 1) {
      const balancerUrl = await this.launch(
        'balancer',
        'balancer',
        process.execPath,
        (port) => [
          main,
          ...balancerArgs({ port, strategy: t.balancer.strategy, engine: t.balancer.implementation, backendUrls: replicaUrls, weights: t.balancer.weights }),
        ],
        signal,
        0,
        [LISTENING_LINE, ADMIN_LINE],
      )
      this.entry = new URL(balancerUrl)
      // The balancer health-checks its backends before routing to them: wait until it serves.
      await waitUntilServing(new URL(READY_PATH, this.entry), signal, 'balancer')
    } else {
      this.entry = new URL(must(replicaUrls[0], 'a topology has at least one replica'))
    }
  }

  /**
   * The PostgreSQL cluster of store `postgres`: initdb in the run folder, the server as member
   * `postgres` (so faults can kill, pause or restart it), one schema per shard. Returns the shard URLs.
   */
  private async startPostgres(signal: AbortSignal): Promise<string[]> {
    const t = this.topology
    const cluster = await initLocalPostgres({ dir: this.options.logDir, replicas: t.replicas, shards: t.shards, durable: t.durability !== 'none' })
    this.cleanups.push(() => cluster.remove())
    const port = await freePort()
    // SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for the replicas to disconnect).
    await this.launch('postgres', 'postgres', cluster.command, cluster.args, signal, port, [POSTGRES_READY], `postgres://postgres@127.0.0.1:${port}/crm`, {
      whenHarnessDies: 'kill', // its backends see the postmaster gone and exit too
      commandLineMatch: (p) => [cluster.command, cluster.dataDir, String(p)],
      stopSignal: 'SIGINT',
      ...(cluster.runAs ? { runAs: cluster.runAs } : {}),
    })
    this.crmEnv.PGPASSWORD = cluster.password
    return cluster.createShards(port, t.shards)
  }

  /**
   * A durable shard's log lives in the run folder, next to its process log; a `restart` fault
   * starts the shard on the same file, so it replays what it acknowledged. A file left from an
   * earlier start is removed first: a new topology starts empty.
   */
  private durability(shard: number): ShardArgs['durability'] {
    if (this.topology.durability === 'none') return undefined
    const dataFile = path.join(this.options.logDir, `shard-${shard}.aof`)
    if (!this.running.some((m) => m.name === `shard-${shard}`)) rmSync(dataFile, { force: true })
    return { level: this.topology.durability, dataFile }
  }

  /**
   * RabbitMQ for queue-push, with its own epmd, files in the run folder (fresh for each topology,
   * kept across a restart fault so persisted messages survive it).
   */
  private async startRabbitMq(signal: AbortSignal): Promise<string> {
    const ports = { amqp: await freePort(), dist: await freePort(), epmd: await freePort() }
    const dir = path.join(this.options.logDir, 'rabbitmq')
    rmSync(dir, { recursive: true, force: true })
    const env = rabbitMqEnv(dir, ports, `loadlab-${randomBytes(4).toString('hex')}`)
    const epmd = new ManagedProcess({
      name: 'epmd',
      command: EPMD,
      args: () => epmdArgs(ports),
      logFile: path.join(this.options.logDir, 'epmd.log'),
      readyPatterns: [EPMD_READY],
      startupTimeoutMs: 10_000,
      // Neither epmd nor the broker watches a pipe from LoadLab: the kernel kills them if LoadLab dies.
      whenHarnessDies: 'kill',
      commandLineMatch: () => ['epmd', `-port ${ports.epmd}`],
      onSpawn: (pid) => {
        if (this.options.pidFile) appendFileSync(this.options.pidFile, `${pid} epmd\n`)
      },
      env,
    })
    this.helpers.push(epmd)
    await epmd.start(signal)
    const url = amqpUrl(ports)
    // A cold Erlang VM takes some seconds more than a Node process, more on a busy machine.
    await this.launch(
      'rabbitmq',
      'rabbitmq',
      RABBITMQ_SERVER,
      () => [],
      signal,
      ports.amqp,
      [RABBITMQ_READY],
      url,
      {
        whenHarnessDies: 'kill',
        // The Erlang VM the start script becomes, registered with this topology's epmd.
        commandLineMatch: () => ['beam', `-epmd_port ${ports.epmd}`],
      },
      { env, startupTimeoutMs: 90_000 },
    )
    return url
  }

  /**
   * Apache Kafka for queue-push with broker kafka: one KRaft node (broker and controller) on
   * loopback ports, its log in the run folder (fresh for each topology, kept across a restart
   * fault so the acknowledged changes and the consumer group's offsets survive it, removed at stop).
   */
  private async startKafka(signal: AbortSignal): Promise<string> {
    const java = findJava()
    const classPath = kafkaClassPath()
    const ports = { broker: await freePort(), controller: await freePort() }
    const dir = path.join(this.options.logDir, 'kafka')
    rmSync(dir, { recursive: true, force: true })
    // Its log and metadata go when the topology stops (the broker's own log stays: kafka.log).
    this.cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
    const properties = writeKafkaConfig(dir, ports)
    await formatKafkaStorage(java, dir, classPath, properties, signal)
    // A cold JVM takes some seconds more than a Node process, more on a busy machine.
    return this.launch(
      'kafka',
      'kafka',
      java,
      () => kafkaArgs(dir, classPath, properties),
      signal,
      ports.broker,
      [KAFKA_READY],
      kafkaUrl(ports),
      {
        // The JVM watches no pipe from LoadLab: the kernel kills it if LoadLab dies.
        whenHarnessDies: 'kill',
        commandLineMatch: () => ['kafka.Kafka', properties],
      },
      {
        env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}) },
        startupTimeoutMs: 120_000,
      },
    )
  }

  /** The downstream system; its store's log lives in the run folder, so a restarted downstream keeps what it acknowledged. */
  private async startDownstream(main: string, source: Pick<DownstreamArgs, 'consume' | 'pullFrom' | 'intervalMs'>, signal: AbortSignal): Promise<string> {
    const dataFile = path.join(this.options.logDir, 'downstream.aof')
    rmSync(dataFile, { force: true })
    return this.launch(
      'downstream',
      'downstream',
      process.execPath,
      (port) => [main, ...downstreamArgs({ port, dataFile, batch: this.topology.sync.batch, ...source })],
      signal,
    )
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
        if (member.role === 'balancer' && ready.captures[1]) member.metricsUrl = `${ready.captures[1]}${METRICS_PATH}`
        return `restarted on ${member.url} (pid ${p.pid})`
      }
      case 'slow': {
        if (member.role !== 'replica' && member.role !== 'shard')
          throw new EnvironmentError(`fault slow: ${member.name} has no service-time model; slow a replica or a shard`)
        return slowMember(member, f.factor ?? 1, this.adminToken)
      }
      default:
        throw new EnvironmentError(
          `fault ${f.action}: local processes have no CPU quota or network links to act on; use the containers environment (--env containers)`,
        )
    }
  }

  stop(): Promise<void> {
    // Reverse start order: the balancer first, so no traffic hits replicas that are going away.
    this.stopped ??= (async () => {
      const members = [...this.running].reverse()
      await Promise.all(members.map((m) => m.process.stop()))
      await Promise.all(members.map((m) => m.process.close()))
      await Promise.all(this.helpers.map((h) => h.stop().then(() => h.close())))
      for (const cleanup of this.cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
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
    readyPatterns: RegExp[] = [LISTENING_LINE],
    fixedUrl?: string,
    lifecycle: Pick<ManagedProcessSpec, 'whenHarnessDies' | 'commandLineMatch' | 'readyProbe' | 'stopSignal' | 'runAs'> = {
      whenHarnessDies: 'close',
      // A role's command line: node <main.js> <role> ...
      commandLineMatch: (p) => args(p).slice(0, 2),
    },
    overrides: { env?: NodeJS.ProcessEnv; startupTimeoutMs?: number } = {},
  ): Promise<string> {
    const proc = new ManagedProcess({
      name,
      command,
      args,
      ...lifecycle,
      logFile: path.join(this.options.logDir, `${name}.log`),
      readyPatterns,
      startupTimeoutMs: Math.max(this.options.startupTimeoutMs ?? 20_000, overrides.startupTimeoutMs ?? 0),
      onSpawn: (pid) => {
        if (this.options.pidFile) appendFileSync(this.options.pidFile, `${pid} ${name}\n`)
      },
      env: overrides.env ?? (THIRD_PARTY.includes(role) ? process.env : { ...process.env, ...this.crmEnv, [ADMIN_TOKEN_ENV]: this.adminToken }),
    })
    const member: RunningMember = { name, role, process: proc, url: fixedUrl ?? '', metricsUrl: null }
    this.running.push(member)
    const ready = await proc.start(signal, port)
    if (!fixedUrl) member.url = ready.url
    // The balancer serves its metrics on the admin port; redis, memcached, postgres and the brokers have none LoadLab reads.
    if (THIRD_PARTY.includes(role) || role === 'rabbitmq' || role === 'kafka') member.metricsUrl = null
    else if (role === 'balancer') member.metricsUrl = `${ready.captures[1] || ready.url}${METRICS_PATH}`
    else member.metricsUrl = `${ready.url}${METRICS_PATH}`
    return member.url
  }
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
