import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { ContainersInfo, EnvironmentInfo } from '../../results/results-schema.js'
import { RESOURCE_ROLES, type FaultSpec, type ResourceRole, type ResourceSpec, type Topology } from '../../scenario/scenario.js'
import { linkName } from '../../scenario/link-spec.js'
import { kafkaArgs, kafkaFormatArgs, kafkaUrl, newClusterId, writeKafkaConfig } from '../kafka-server.js'
import { amqpUrl, NO_PLUGINS, rabbitMqListenEnv } from '../rabbitmq-server.js'
import { slowMember } from '../slow-member.js'
import {
  ADMIN_TOKEN_ENV,
  EnvironmentError,
  faultTarget,
  type AdminEndpoint,
  type Environment,
  type Fault,
  type Member,
  type MemberRole,
  type StartedEnvironment,
} from '../environment.js'
import { reapDeadRuns, removeRun } from './container-reaper.js'
import { balancerArgs, downstreamArgs, replicaArgs, shardArgs } from './crm-role-args.js'
import { dockerRuntime, type DockerRuntime } from './docker-runtime.js'
import { imagePreference, type CrmRuntime, type ImageChoice } from './image-catalog.js'
import { ImageResolver } from './image-resolver.js'
import { ImageStore } from './image-store.js'
import { isNetworkFault, LinkProxies, linksOfFault, proxiedLinks, unmatchedNetworkFaults, type Link } from './link-proxies.js'
import { KAFKA_IMAGE_LIBS } from './local-image-recipes.js'
import { loopbackPort } from './loopback-port.js'
import { MemberContainer } from './member-container.js'
import { harnessIdentity, LABEL_HARNESS, LABEL_MEMBER, LABEL_RUN, newRunId } from './run-labels.js'

export interface ContainerEnvironmentOptions {
  /** Folder for the members' logs (<logDir>/<member>.log). */
  logDir: string
  /** The scenario's faults: the links its network faults name run through Toxiproxy. */
  faults: readonly FaultSpec[]
  /** How long one member may take to serve after its container started. */
  startupTimeoutMs?: number
  /** Progress the user should see (image pulls and builds); default: stderr. */
  say?: (line: string) => void
}

// The PostgreSQL credentials of a shard database: they guard nothing (the database listens on
// loopback only, for one run), and the official image insists on a password.
const PG = { user: 'loadlab', password: 'loadlab', db: 'crm' }
/** memcached's item memory (MB), as in the local environment: its default, said so results do not depend on the image's. */
const MEMCACHED_MEMORY_MB = 64
/** Where a RabbitMQ container finds its (empty) plugin list: no management or Prometheus listener on other interfaces. */
const RABBITMQ_PLUGINS_FILE = '/etc/loadlab-rabbitmq/enabled_plugins'

// One image resolver per process: a suite of runs resolves (and if need be builds) each image once.
let resolver: ImageResolver | null = null
let reaped: Promise<void> | null = null

/**
 * Starts a topology as containers through Testcontainers, each on the host's network with its own
 * free loopback port: shard servers (or PostgreSQL databases), redis or memcached, Toxiproxy when a network
 * fault needs it, the replicas, then the balancer. Every container carries the run's labels;
 * everything is removed when the run stops, also when a member fails to start.
 */
export class ContainerEnvironment implements Environment {
  readonly name = 'containers'
  constructor(private readonly options: ContainerEnvironmentOptions) {}

  async start(topology: Topology | null, signal: AbortSignal): Promise<StartedEnvironment> {
    if (topology === null) throw new EnvironmentError('the containers environment needs a topology (this scenario has a `target`)')
    // In a matrix some cells lack what a fault names (no redis, fewer replicas): say so now; the
    // fault is recorded as not applied when it is due.
    for (const line of unmatchedNetworkFaults(topology, this.options.faults)) this.say(`${line}: it will not apply in this run`)
    const runtime = await dockerRuntime()
    // A harness that died (SIGKILL) could not clean up: its containers go before ours start.
    reaped ??= reapDeadRuns(runtime.docker).then(({ reaped: runs }) => {
      for (const r of runs) this.say(`removed ${r.containers} container(s) left by run ${r.runId}, whose harness is gone`)
    })
    await reaped
    resolver ??= new ImageResolver(new ImageStore(runtime.docker, (line) => this.say(line)), { preference: imagePreference(), build: true })
    mkdirSync(this.options.logDir, { recursive: true })
    const started = new ContainerTopology(runtime, resolver, topology, this.options)
    try {
      await started.bringUp(signal)
      return started
    } catch (error) {
      await started.stop()
      throw error
    }
  }

  private say(line: string): void {
    ;(this.options.say ?? ((l: string) => process.stderr.write(`${l}\n`)))(line)
  }
}

interface RunningMember {
  name: string
  role: MemberRole | 'toxiproxy'
  container: MemberContainer
  url: string
  metricsUrl: string | null
}

class ContainerTopology implements StartedEnvironment {
  private readonly runId = newRunId()
  private readonly running: RunningMember[] = []
  private readonly usedPorts = new Set<number>()
  private readonly images: Record<string, ImageChoice> = {}
  /** One admin token per start, handed to every CRM member through its environment (never its command line). */
  private readonly adminToken = randomBytes(32).toString('base64url')
  /** Toxiproxy listen address (host:port) -> the member behind it. */
  private readonly aliases = new Map<string, string>()
  private proxies: LinkProxies | null = null
  private links: Link[] = []
  private entry: URL | null = null
  private stopped: Promise<void> | null = null
  /** Run after every container is gone (removing a broker's files from the run folder). */
  private readonly cleanups: (() => void)[] = []

  constructor(
    private readonly runtime: DockerRuntime,
    private readonly resolver: ImageResolver,
    private readonly topology: Topology,
    private readonly options: ContainerEnvironmentOptions,
  ) {}

  async bringUp(signal: AbortSignal): Promise<void> {
    const t = this.topology
    this.links = proxiedLinks(t, this.options.faults)
    const crmRuntime: CrmRuntime = t.replicas > 1 && t.balancer.implementation !== 'builtin' ? t.balancer.implementation : 'node'
    // Resolve (pull, build) every image before the first container starts: start-up time then
    // measures containers, and a missing image fails before anything runs.
    const broker = t.sync.strategy === 'queue-push' ? t.sync.broker : null
    const [crm, balancerImage, redisImage, memcachedImage, rabbitmqImage, kafkaImage, postgresImage, toxiproxyImage] = await Promise.all([
      this.image('crm', () => this.resolver.crm('node')),
      crmRuntime === 'node' ? null : this.image('balancer', () => this.resolver.crm(crmRuntime)),
      t.cache.strategy === 'redis' ? this.image('redis', () => this.resolver.base('redis')) : null,
      t.cache.strategy === 'memcached' ? this.image('memcached', () => this.resolver.base('memcached')) : null,
      broker === 'rabbitmq' ? this.image('rabbitmq', () => this.resolver.base('rabbitmq')) : null,
      broker === 'kafka' ? this.image('kafka', () => this.resolver.base('kafka')) : null,
      t.store === 'postgres' ? this.image('postgres', () => this.resolver.base('postgres')) : null,
      this.links.length > 0 ? this.image('toxiproxy', () => this.resolver.base('toxiproxy')) : null,
    ])
    signal.throwIfAborted()
    // Every port is chosen up front, so each link's proxy can be made before either end starts.
    const ports = {
      shards: await this.portsFor(t.shards),
      redis: redisImage ? await this.port() : null,
      memcached: memcachedImage ? await this.port() : null,
      rabbitmq: rabbitmqImage ? { amqp: await this.port(), dist: await this.port(), epmd: await this.port() } : null,
      kafka: kafkaImage ? { broker: await this.port(), controller: await this.port() } : null,
      replicas: await this.portsFor(t.replicas),
      downstream: t.sync.strategy === 'none' ? null : await this.port(),
      balancer: t.replicas > 1 ? { port: await this.port(), admin: await this.port() } : null,
    }
    const upstream = (member: string): string => {
      if (member === 'redis') return `127.0.0.1:${ports.redis}`
      const [role, index] = member.split('-')
      return `127.0.0.1:${role === 'shard' ? ports.shards[Number(index)] : ports.replicas[Number(index) - 1]}`
    }
    /** Where `from` reaches `to`: the link's Toxiproxy listener, or `to` itself. */
    const address = (from: string, to: string) => this.proxies?.listenAddress(from, to) ?? upstream(to)
    const shardUrl = (hostPort: string) => (postgresImage ? `postgres://${PG.user}:${PG.password}@${hostPort}/${PG.db}` : `http://${hostPort}`)

    // queue-push: the broker first, since the shards publish to it and downstream consumes from it.
    const brokerUrl = ports.rabbitmq !== null ? amqpUrl(ports.rabbitmq) : ports.kafka !== null ? kafkaUrl(ports.kafka) : null
    if (rabbitmqImage && ports.rabbitmq !== null && brokerUrl !== null) {
      // Its files stay inside the container, which a kill and restart keep (persisted messages
      // survive), and go with it. A cold Erlang VM takes some seconds more than a Node process.
      await this.launch(signal, {
        name: 'rabbitmq',
        role: 'rabbitmq',
        image: rabbitmqImage,
        port: ports.rabbitmq.amqp,
        readyPath: null,
        url: brokerUrl,
        metrics: false,
        command: ['rabbitmq-server'],
        env: { ...rabbitMqListenEnv(ports.rabbitmq, `loadlab-${this.runId}`), RABBITMQ_ENABLED_PLUGINS_FILE: RABBITMQ_PLUGINS_FILE },
        files: { [RABBITMQ_PLUGINS_FILE]: NO_PLUGINS },
        startupTimeoutMs: 90_000,
      })
    }
    if (kafkaImage && ports.kafka !== null && brokerUrl !== null) {
      // One KRaft node, configured as locally; its log and metadata in the run folder (mounted),
      // kept across a kill and restart, removed at stop. The container formats the storage on
      // its first start (a restart finds it formatted), then execs the broker.
      const dir = path.join(this.options.logDir, 'kafka')
      rmSync(dir, { recursive: true, force: true })
      this.cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      const properties = writeKafkaConfig(dir, ports.kafka)
      const classPath = `${KAFKA_IMAGE_LIBS}/*`
      const format = ['java', ...kafkaFormatArgs(dir, classPath, properties, newClusterId()), '--ignore-formatted']
      await this.launch(signal, {
        name: 'kafka',
        role: 'kafka',
        image: kafkaImage,
        port: ports.kafka.broker,
        readyPath: null,
        url: brokerUrl,
        metrics: false,
        command: ['sh', '-c', `${shellWords(format)} >/dev/null && exec ${shellWords(['java', ...kafkaArgs(dir, classPath, properties)])}`],
        mounts: [this.options.logDir],
        startupTimeoutMs: 120_000,
      })
    }

    await Promise.all([
      ...ports.shards.map((port, i) =>
        postgresImage
          ? this.launch(signal, {
              name: `shard-${i}`,
              role: 'shard',
              image: postgresImage,
              port,
              readyPath: null,
              url: shardUrl(`127.0.0.1:${port}`),
              metrics: false,
              command: ['postgres', '-c', 'listen_addresses=127.0.0.1', '-p', String(port)],
              env: { POSTGRES_USER: PG.user, POSTGRES_PASSWORD: PG.password, POSTGRES_DB: PG.db, PGPORT: String(port) },
            })
          : this.launch(signal, {
              name: `shard-${i}`,
              role: 'shard',
              image: crm,
              port,
              readyPath: '/health',
              metrics: true,
              runsNode: true,
              command: shardArgs(t, i, port, this.dataFile(i), brokerUrl),
              mounts: t.durability === 'none' ? [] : [this.options.logDir],
            }),
      ),
      redisImage && ports.redis !== null
        ? this.launch(signal, {
            name: 'redis',
            role: 'redis',
            image: redisImage,
            port: ports.redis,
            readyPath: null,
            url: `redis://127.0.0.1:${ports.redis}`,
            metrics: false,
            command: ['redis-server', '--port', String(ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
          })
        : null,
      memcachedImage && ports.memcached !== null
        ? this.launch(signal, {
            // UDP off and loopback only, as locally; the official image runs it as user memcache, the local one too.
            name: 'memcached',
            role: 'memcached',
            image: memcachedImage,
            port: ports.memcached,
            readyPath: null,
            url: `memcached://127.0.0.1:${ports.memcached}`,
            metrics: false,
            command: ['memcached', '-l', '127.0.0.1', '-p', String(ports.memcached), '-U', '0', '-m', String(MEMCACHED_MEMORY_MB)],
          })
        : null,
    ])

    if (toxiproxyImage) {
      const port = await this.port()
      await this.launch(signal, {
        name: 'toxiproxy',
        role: 'toxiproxy',
        image: toxiproxyImage,
        port,
        readyPath: '/version',
        command: ['-host=127.0.0.1', `-port=${port}`],
        metrics: false,
      })
      this.proxies = new LinkProxies(`http://127.0.0.1:${port}`, this.links)
      for (const link of this.links) {
        const listen = await this.proxies.add(link, upstream(link.to))
        // The balancer counts requests by backend URL: it must know the proxy is that replica.
        this.aliases.set(listen, link.to)
      }
      await this.proxies.applyConditions(t.links)
    }

    // The downstream system, wired as in the local environment: before the replicas when they
    // call it (sync-call), after them when it pulls from them (scheduled-pull).
    const downstream = (source: Parameters<typeof downstreamArgs>[3]) =>
      this.launch(signal, {
        name: 'downstream',
        role: 'downstream',
        image: crm,
        port: ports.downstream!,
        readyPath: '/health',
        metrics: true,
        runsNode: true,
        command: downstreamArgs(t, ports.downstream!, this.downstreamFile(), source),
        mounts: [this.options.logDir],
      })
    const downstreamUrl = ports.downstream === null ? null : `http://127.0.0.1:${ports.downstream}`
    if (t.sync.strategy === 'sync-call') await downstream({})
    if (brokerUrl !== null) await downstream({ consume: brokerUrl })

    // Range partitions split a time window: every replica (and a restarted one) must use the same.
    const rangeEnd = new Date()
    const rangeStart = new Date(rangeEnd.getTime() - 365 * 24 * 3600 * 1000)
    await Promise.all(
      ports.replicas.map((port, i) => {
        const name = `replica-${i + 1}`
        const shardUrls = ports.shards.map((_, s) => shardUrl(address(name, `shard-${s}`)))
        const redisUrl = ports.redis === null ? null : `redis://${address(name, 'redis')}`
        // No Toxiproxy link reaches memcached (links go to shards, redis and replicas): always direct.
        const memcachedServer = ports.memcached === null ? null : `127.0.0.1:${ports.memcached}`
        return this.launch(signal, {
          name,
          role: 'replica',
          image: crm,
          port,
          readyPath: '/health',
          metrics: true,
          runsNode: true,
          command: replicaArgs(t, {
            name,
            port,
            shardUrls,
            redisUrl,
            memcachedServer,
            syncCallUrl: t.sync.strategy === 'sync-call' ? downstreamUrl : null,
            rangeStart,
            rangeEnd,
          }),
        })
      }),
    )
    if (t.sync.strategy === 'scheduled-pull') await downstream({ pullFrom: ports.replicas.map((p) => `http://127.0.0.1:${p}`), intervalMs: t.sync.intervalMs })
    if (!ports.balancer) {
      this.entry = new URL(`http://${upstream('replica-1')}`)
      return
    }
    const backends = ports.replicas.map((_, i) => `http://${address('balancer', `replica-${i + 1}`)}`)
    await this.launch(signal, {
      name: 'balancer',
      role: 'balancer',
      image: balancerImage ?? crm,
      port: ports.balancer.port,
      readyPath: '/ready',
      metrics: true,
      runsNode: true,
      command: balancerArgs(t, ports.balancer.port, ports.balancer.admin, backends),
      metricsUrl: `http://127.0.0.1:${ports.balancer.admin}/metrics`,
    })
    this.entry = new URL(`http://127.0.0.1:${ports.balancer.port}`)
  }

  entrypoint(): URL {
    if (!this.entry) throw new EnvironmentError('the topology is not started')
    return this.entry
  }

  adminEndpoint(): AdminEndpoint {
    const replica = this.running.find((m) => m.role === 'replica' && m.container.running)
    if (!replica) throw new EnvironmentError('no replica is running to take admin calls')
    return { url: new URL(replica.url), token: this.adminToken }
  }

  /**
   * A durable shard's log lives in the run folder (mounted into its container at the same path),
   * next to its log; a `restart` fault starts the container on the same file, so it replays what it
   * acknowledged. A file left from an earlier start is removed first: a new topology starts empty.
   */
  private dataFile(shard: number): string {
    const file = path.join(this.options.logDir, `shard-${shard}.aof`)
    if (this.topology.durability !== 'none') rmSync(file, { force: true })
    return file
  }

  /** downstream's append-only log, in the run folder like a durable shard's: a restarted downstream keeps what it acknowledged. */
  private downstreamFile(): string {
    const file = path.join(this.options.logDir, 'downstream.aof')
    rmSync(file, { force: true })
    return file
  }

  members(): Member[] {
    return this.running
      .filter((m): m is RunningMember & { role: MemberRole } => m.role !== 'toxiproxy')
      .map((m) => ({
        name: m.name,
        role: m.role,
        url: m.url,
        metricsUrl: m.metricsUrl,
        pid: null,
        container: m.container.containerName,
        aliases: this.aliasesOf(m.name),
      }))
  }

  async fault(f: Fault): Promise<string> {
    if (isNetworkFault(f.action)) {
      if (!this.proxies) throw new EnvironmentError(`fault ${f.action} on ${faultTarget(f)}: no link runs through Toxiproxy`)
      return this.proxies.apply(f)
    }
    const member = f.member === undefined ? undefined : this.member(f.member)
    if (!member || member.role === 'toxiproxy') {
      throw new EnvironmentError(
        `fault ${f.action}: no member "${f.member}"; members: ${this.members()
          .map((m) => m.name)
          .join(', ')}`,
      )
    }
    const c = member.container
    switch (f.action) {
      case 'kill':
        return c.kill()
      case 'pause':
        return c.pause()
      case 'resume':
        return c.resume()
      case 'restart':
        return c.restart()
      case 'cpus':
        return c.setCpus(f.cpus ?? 1)
      case 'slow': {
        if (
          member.role === 'redis' ||
          member.role === 'memcached' ||
          member.role === 'balancer' ||
          member.role === 'downstream' ||
          member.metricsUrl === null
        ) {
          throw new EnvironmentError(`fault slow: ${member.name} has no service-time model; slow a replica or an embedded shard`)
        }
        return slowMember(member, f.factor ?? 1, this.adminToken)
      }
      default:
        throw new EnvironmentError(`fault ${f.action}: not a container fault`)
    }
  }

  describe(): EnvironmentInfo {
    const resources: ContainersInfo['resources'] = {}
    for (const [role, limits] of Object.entries(this.topology.resources) as Array<[ResourceRole, ResourceSpec]>) {
      if (limits && (limits.cpus !== undefined || limits.memoryMb !== undefined)) resources[role] = { ...limits }
    }
    return {
      containers: {
        runId: this.runId,
        network: 'host',
        images: Object.fromEntries(Object.entries(this.images).map(([k, v]) => [k, { name: v.name, source: v.source }])),
        resources,
        proxiedLinks: this.links.map((l) => linkName(l.from, l.to)),
        // Those this topology has links for (no redis, no 'replicas -> redis' condition).
        linkConditions: Object.fromEntries(Object.entries(this.topology.links).filter(([link]) => linksOfFault({ link }, this.links).length > 0)),
      },
    }
  }

  stop(): Promise<void> {
    // Reverse start order: the balancer first, so no traffic hits replicas that are going away.
    this.stopped ??= (async () => {
      const members = [...this.running].reverse()
      for (const tier of ['balancer', 'downstream', 'replica', 'toxiproxy', 'redis', 'memcached', 'shard', 'rabbitmq', 'kafka'] as const) {
        await Promise.all(members.filter((m) => m.role === tier).map((m) => m.container.stop()))
      }
      // Anything of this run the members did not know about (a container created while a start was aborted).
      await removeRun(this.runtime.docker, this.runId).catch(() => undefined)
      await Promise.all(members.map((m) => m.container.close()))
      for (const cleanup of this.cleanups.splice(0)) cleanup()
    })()
    return this.stopped
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop()
  }

  /** The URLs of the proxies in front of a member, in its own scheme. */
  private aliasesOf(name: string): string[] {
    const scheme = name === 'redis' ? 'redis' : this.topology.store === 'postgres' && name.startsWith('shard-') ? 'postgres' : 'http'
    return [...this.aliases].filter(([, member]) => member === name).map(([listen]) => `${scheme}://${listen}`)
  }

  private member(name: string): RunningMember | undefined {
    return this.running.find((m) => m.name === name)
  }

  private async image(kind: string, resolve: () => Promise<ImageChoice>): Promise<ImageChoice> {
    const choice = await resolve()
    this.images[kind] = choice
    return choice
  }

  private async portsFor(n: number): Promise<number[]> {
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push(await this.port())
    return out
  }

  /** A free loopback port no other member of this topology was given. */
  private async port(): Promise<number> {
    for (;;) {
      const port = await loopbackPort()
      if (!this.usedPorts.has(port)) {
        this.usedPorts.add(port)
        return port
      }
    }
  }

  /** Starts one member's container; it is recorded before it is ready, so a failed start is still removed. */
  private async launch(
    signal: AbortSignal,
    m: {
      name: string
      role: RunningMember['role']
      image: ImageChoice
      port: number
      readyPath: string | null
      command: string[]
      env?: Record<string, string>
      url?: string
      metrics: boolean
      metricsUrl?: string
      /** A CRM role (a Node process): it gets the admin token, and a heap sized to its memory limit. */
      runsNode?: boolean
      mounts?: string[]
      files?: Record<string, string>
      /** At least this long to start (a broker), whatever the environment's default. */
      startupTimeoutMs?: number
    },
  ): Promise<void> {
    const limits = (RESOURCE_ROLES as readonly string[]).includes(m.role) ? this.topology.resources[m.role as ResourceRole] : undefined
    const env: Record<string, string> = { ...m.env, ...(m.runsNode ? { [ADMIN_TOKEN_ENV]: this.adminToken } : {}) }
    // V8 sizes its heap from the machine's memory, not the container's limit: keep it inside.
    if (limits?.memoryMb !== undefined && m.runsNode) env.NODE_OPTIONS = `--max-old-space-size=${Math.max(16, Math.floor(limits.memoryMb * 0.75))}`
    const container = new MemberContainer(this.runtime, {
      name: m.name,
      containerName: `loadlab-${this.runId}-${m.name}`,
      image: m.image.name,
      command: m.command,
      env,
      labels: { [LABEL_RUN]: this.runId, [LABEL_MEMBER]: m.name, [LABEL_HARNESS]: harnessIdentity() },
      port: m.port,
      readyPath: m.readyPath,
      cpus: limits?.cpus,
      memoryMb: limits?.memoryMb,
      mounts: m.mounts,
      files: m.files,
      logFile: path.join(this.options.logDir, `${m.name}.log`),
      startupTimeoutMs: Math.max(this.options.startupTimeoutMs ?? 30_000, m.startupTimeoutMs ?? 0),
    })
    const url = m.url ?? `http://127.0.0.1:${m.port}`
    this.running.push({ name: m.name, role: m.role, container, url, metricsUrl: m.metrics ? (m.metricsUrl ?? `${url}/metrics`) : null })
    await container.start(signal)
  }
}

/** Words for `sh -c`, each single-quoted (a class path's `*` must reach Java unexpanded). */
function shellWords(words: readonly string[]): string {
  return words.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(' ')
}
