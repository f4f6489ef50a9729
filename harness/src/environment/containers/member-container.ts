import { createWriteStream, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import type { Readable } from 'node:stream'
import { createInterface } from 'node:readline'
import type { StartedTestContainer } from 'testcontainers'
import { EnvironmentError } from '../environment.js'
import { trackContainer, untrackContainer } from './container-reaper.js'
import type { DockerRuntime } from './docker-runtime.js'
import { LoopbackReady } from './loopback-ready.js'

export interface MemberContainerSpec {
  /** Member name (replica-1, shard-0, balancer, redis, toxiproxy). */
  name: string
  /** Docker container name, unique on the daemon. */
  containerName: string
  image: string
  command: string[]
  env?: Record<string, string>
  labels: Record<string, string>
  /** The loopback port it listens on (host networking). */
  port: number
  /** Ready when GET <path> answers 200; null: when the port accepts connections. */
  readyPath: string | null
  /** Docker CPU quota (cores) and memory limit. */
  cpus?: number
  memoryMb?: number
  /** Host folders mounted at the same path (a durable shard's log in the run folder). */
  mounts?: string[]
  /** Small files written into the container before it starts (a broker's plugin list): absolute path -> content. */
  files?: Record<string, string>
  logFile: string
  startupTimeoutMs: number
}

const TAIL_LINES = 20
const STOP_GRACE_MS = 2_000

/**
 * One member of a topology as a container on the host's network: started through Testcontainers
 * (lifecycle and wait strategy), its output appended to its log file, and the container faults
 * (kill, pause, resume, restart, a new CPU quota) applied through the Docker API.
 */
export class MemberContainer {
  private started: StartedTestContainer | null = null
  private id: string | null = null
  private log: WriteStream | null = null
  private readonly tail: string[] = []
  private paused = false
  private killed = false

  constructor(
    private readonly runtime: DockerRuntime,
    readonly spec: MemberContainerSpec,
  ) {}

  get name(): string {
    return this.spec.name
  }

  get containerName(): string {
    return this.spec.containerName
  }

  /** Started and not killed since (a paused container still counts: it will answer once resumed). */
  get running(): boolean {
    return this.started !== null && !this.killed
  }

  /** Creates and starts the container, resolving once it serves on its port. */
  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    const { tc } = this.runtime
    const s = this.spec
    this.log ??= createWriteStream(s.logFile, { flags: 'a' })
    this.log.write(`--- ${new Date().toISOString()} starting container ${s.containerName} (${s.image}) ${s.command.join(' ')}\n`)
    const track = (id: string) => {
      this.id = id
      trackContainer(id)
    }
    // containerCreated is Testcontainers' hook between create and start: the id is known (and
    // the container removable) before anything can fail.
    class Tracked extends tc.GenericContainer {
      protected override async containerCreated(id: string): Promise<void> {
        track(id)
      }
    }
    let container = new Tracked(s.image)
      .withName(s.containerName)
      .withNetworkMode('host')
      .withCommand(s.command)
      .withEnvironment(s.env ?? {})
      .withLabels(s.labels)
      .withWaitStrategy(new LoopbackReady(s.port, s.readyPath, signal))
      .withStartupTimeout(s.startupTimeoutMs)
      .withLogConsumer((stream) => this.follow(stream))
    if (s.mounts && s.mounts.length > 0) container = container.withBindMounts(s.mounts.map((dir) => ({ source: dir, target: dir, mode: 'rw' as const })))
    if (s.files) container = container.withCopyContentToContainer(Object.entries(s.files).map(([target, content]) => ({ target, content, mode: 0o644 })))
    if (s.cpus !== undefined || s.memoryMb !== undefined) {
      container = container.withResourcesQuota({ cpu: s.cpus, memory: s.memoryMb === undefined ? undefined : s.memoryMb / 1024 })
    }
    try {
      this.started = await container.start()
    } catch (error) {
      // Testcontainers removed a container that failed its wait strategy; one that failed
      // earlier is removed by stop(), which the environment always calls.
      throw this.startError(error)
    }
  }

  /** SIGKILL: the container stops and stays (a later restart brings it back). */
  async kill(): Promise<string> {
    const c = this.dockerContainer()
    if (this.paused) await this.resume()
    await c.kill({ signal: 'SIGKILL' })
    this.killed = true
    return `docker kill ${this.spec.containerName}`
  }

  async pause(): Promise<string> {
    await this.dockerContainer().pause()
    this.paused = true
    return `docker pause ${this.spec.containerName}`
  }

  async resume(): Promise<string> {
    await this.dockerContainer().unpause()
    this.paused = false
    return `docker unpause ${this.spec.containerName}`
  }

  /** Stops (gracefully, if running) and starts the container again on the same port; resolves once it serves. */
  async restart(): Promise<string> {
    if (!this.started) throw new EnvironmentError(`${this.name} was never started`)
    if (this.paused) await this.resume()
    const since = Math.floor(Date.now() / 1000)
    this.log?.write(`--- ${new Date().toISOString()} restarting container ${this.spec.containerName}\n`)
    try {
      await this.started.restart({ timeout: STOP_GRACE_MS })
    } catch (error) {
      throw this.startError(error)
    }
    this.killed = false
    // The log stream of the previous start ended with it.
    this.follow(await this.started.logs({ since }))
    return `docker restart ${this.spec.containerName}`
  }

  /** Changes the CPU quota of the running container (docker update --cpus). */
  async setCpus(cpus: number): Promise<string> {
    await this.dockerContainer().update({ NanoCpus: Math.round(cpus * 1e9) })
    return `docker update --cpus ${cpus} ${this.spec.containerName}`
  }

  /** Stops and removes the container (unpausing it first); safe in any state, also when it never started. */
  async stop(): Promise<void> {
    if (this.id) {
      const c = this.runtime.docker.getContainer(this.id)
      if (this.paused) await c.unpause().catch(() => undefined)
      this.paused = false
      await c.stop({ t: STOP_GRACE_MS / 1000 }).catch(() => undefined)
      await c.remove({ force: true, v: true }).catch(() => undefined)
      untrackContainer(this.id)
    }
  }

  /** Closes the log file (after the final stop). */
  async close(): Promise<void> {
    const log = this.log
    this.log = null
    if (log) {
      log.end()
      await once(log, 'close').catch(() => undefined)
    }
  }

  private dockerContainer(): ReturnType<DockerRuntime['docker']['getContainer']> {
    if (!this.id) throw new EnvironmentError(`${this.name} is not running`)
    return this.runtime.docker.getContainer(this.id)
  }

  private follow(stream: Readable): void {
    createInterface({ input: stream }).on('line', (line) => {
      this.log?.write(`${line}\n`)
      this.tail.push(line)
      if (this.tail.length > TAIL_LINES) this.tail.shift()
    })
    stream.on('error', () => undefined)
  }

  private startError(error: unknown): EnvironmentError {
    const reason = error instanceof Error ? error.message : String(error)
    const tail = this.tail.length > 0 ? this.tail.map((l) => `    | ${l}`).join('\n') : '    | (no output)'
    return new EnvironmentError(
      `${this.name} (container ${this.spec.containerName}, image ${this.spec.image}) did not start: ${reason}. Last lines of ${this.spec.logFile}:\n${tail}`,
    )
  }
}
