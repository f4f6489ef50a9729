import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { EnvironmentError } from './environment.js'
import { isPaused, markPaused, registerChild, signalGroup } from './child-registry.js'
import { withParentDeathSignal, type RunAs } from './parent-death.js'

export interface ManagedProcessSpec {
  /** Member name, used in messages and the log. */
  name: string
  command: string
  /** Arguments for a given port (0 on first start; the port it got on restarts). */
  args(port: number): string[]
  logFile: string
  /** Lines that together say the process is ready (any order); the first capture group of the first is its URL. */
  readyPatterns: RegExp[]
  startupTimeoutMs: number
  /** Called with each spawned pid (restarts too): the runner keeps a pid file for cleanup checks. */
  onSpawn?(pid: number): void
  /**
   * How the process ends when the harness dies without stopping it (SIGKILL, a crash):
   * 'close' for our own roles, which close gracefully when their stdin (a pipe from the harness)
   * reaches end-of-file; 'kill' for programs that cannot watch a pipe (redis-server), which get
   * SIGKILL from the kernel instead.
   */
  whenHarnessDies: 'close' | 'kill'
  /** Strings that appear in the process's command line once it runs (the ledger checks them before a reaper kills it). */
  commandLineMatch(port: number): string[]
  /** Environment of the process (default: the harness's own). */
  env?: NodeJS.ProcessEnv
  /**
   * For programs that print no ready line (memcached): after the ready patterns (may be empty),
   * called with the port until it resolves; each rejection is retried until the startup timeout.
   */
  readyProbe?(port: number): Promise<void>
  /** What stop() sends first (default SIGTERM; PostgreSQL's fast shutdown is SIGINT, as SIGTERM waits for clients). */
  stopSignal?: 'SIGTERM' | 'SIGINT'
  /** The user to run as: servers that refuse root (memcached, PostgreSQL) when LoadLab runs as root. */
  runAs?: RunAs
}

export interface ReadyInfo {
  url: string
  port: number
  /** First capture group (or the whole match) of each ready pattern: the balancer's ADMIN URL is captures[1]. */
  captures: string[]
}

const TAIL_LINES = 20
const STOP_GRACE_MS = 3_000

/**
 * One child process of a topology: spawned with its output going to its log file, ready when it
 * prints its ready line, and stoppable in every state (running, paused, exited). Used by the
 * local environment for the SUT roles, redis-server, memcached and postgres.
 */
export class ManagedProcess {
  private child: ChildProcess | null = null
  private log: WriteStream | null = null
  private readonly tail: string[] = []
  private exited: Promise<void> = Promise.resolve()
  private port = 0
  ready: ReadyInfo | null = null

  constructor(private readonly spec: ManagedProcessSpec) {}

  get name(): string {
    return this.spec.name
  }

  get pid(): number | null {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? (this.child.pid ?? null) : null
  }

  get running(): boolean {
    return this.pid !== null
  }

  /** Spawns the process (on `port`, 0 = any) and resolves when it printed its ready line. */
  async start(signal: AbortSignal, port = this.port): Promise<ReadyInfo> {
    if (signal.aborted) throw signal.reason
    this.log ??= createWriteStream(this.spec.logFile, { flags: 'a' })
    this.log.write(`--- ${new Date().toISOString()} starting ${this.spec.command} ${this.spec.args(port).join(' ')}\n`)
    // Own process group: a Ctrl-C in the terminal reaches only LoadLab, which then stops the
    // members in order (balancer first) instead of all of them dying at once mid-measurement.
    // stdin is the lifeline of our roles (see whenHarnessDies): a pipe nobody writes to.
    const closeOnEof = this.spec.whenHarnessDies === 'close'
    const launch = withParentDeathSignal(this.spec.command, this.spec.args(port), closeOnEof ? 'SIGCONT' : 'SIGKILL', this.spec.runAs)
    const child = spawn(launch.command, launch.args, {
      stdio: [closeOnEof ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true,
      env: closeOnEof ? { ...(this.spec.env ?? process.env), CRM_EXIT_WITH_STDIN: '1' } : (this.spec.env ?? process.env),
    })
    this.child = child
    child.stdin?.on('error', () => undefined) // the child may exit first: EPIPE is expected
    registerChild(child, { member: this.spec.name, match: this.spec.commandLineMatch(port), logFile: this.spec.logFile })
    if (child.pid !== undefined) this.spec.onSpawn?.(child.pid)
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    child.once('exit', () => child.stdin?.destroy())
    child.once('exit', (code, sig) => this.log?.write(`--- ${new Date().toISOString()} exited code=${code} signal=${sig}\n`))

    const readyPromise = new Promise<ReadyInfo>((resolve, reject) => {
      const captures: Array<string | undefined> = this.spec.readyPatterns.map(() => undefined)
      let done = false
      const timer = setTimeout(() => {
        settle(this.startError(`did not print its ready line within ${this.spec.startupTimeoutMs / 1000} s`))
      }, this.spec.startupTimeoutMs)
      const onAbort = (): void => settle(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
      signal.addEventListener('abort', onAbort, { once: true })
      const settle = (error: Error | null): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        if (error) reject(error)
        else {
          const url = captures[0] ?? ''
          resolve({ url, port: Number(/:(\d+)(?:\/|$)/.exec(url)?.[1] ?? port), captures: captures.map((c) => c ?? '') })
        }
      }
      child.once('error', (error) => settle(this.startError(`could not be started: ${error.message}`)))
      // No ready line to wait for (readiness comes from readyProbe): spawned is as far as lines go.
      if (this.spec.readyPatterns.length === 0) child.once('spawn', () => settle(null))
      child.once('exit', (code, sig) => settle(this.startError(`exited (code ${code}, signal ${sig}) before it was ready`)))
      const onLine = (line: string): void => {
        this.remember(line)
        if (done) return
        this.spec.readyPatterns.forEach((pattern, i) => {
          const match = pattern.exec(line)
          if (match && captures[i] === undefined) captures[i] = match[1] ?? match[0]
        })
        if (captures.every((c) => c !== undefined)) settle(null)
      }
      for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', onLine)
    })
    try {
      const ready = await readyPromise
      if (this.spec.readyProbe) await this.probeUntilReady(this.spec.readyProbe, port, signal)
      this.port = ready.port || port
      this.ready = ready
      return ready
    } catch (error) {
      await this.stop()
      throw error
    }
  }

  /** Sends a signal now (kill / pause / resume faults) to the member and what it spawned (a balancer's HAProxy or nginx). */
  signal(sig: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void {
    const child = this.child
    if (!child || !this.running) throw new EnvironmentError(`${this.name} is not running`)
    signalGroup(child, sig)
    if (sig === 'SIGSTOP') markPaused(child, true)
    if (sig === 'SIGCONT') markPaused(child, false)
  }

  /** Resolves once the process has exited (immediately when it already has). */
  waitForExit(): Promise<void> {
    return this.exited
  }

  /** Stops the process: SIGCONT if paused, SIGTERM, then SIGKILL after a grace period. Safe to call in any state. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    const child = this.child
    const wasRunning = child !== null && this.running
    if (child && this.running) {
      if (isPaused(child)) {
        signalGroup(child, 'SIGCONT')
        markPaused(child, false)
      }
      child.kill(this.spec.stopSignal ?? 'SIGTERM')
      const timedOut = await Promise.race([this.exited.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref())])
      if (timedOut && this.running) {
        signalGroup(child, 'SIGKILL')
        await this.exited
      }
    }
    // Whatever the member spawned and left behind (the HAProxy of a balancer that had to be
    // killed) is in its process group, which outlives the member while it has members.
    // Only right after the member was running: an empty group's number may be reused later.
    if (wasRunning && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // the group is empty: nothing left
      }
    }
  }

  /** Closes the log (after the final stop). */
  async close(): Promise<void> {
    const log = this.log
    this.log = null
    if (log) {
      log.end()
      await once(log, 'close').catch(() => undefined)
    }
  }

  private async probeUntilReady(probe: (port: number) => Promise<void>, port: number, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.spec.startupTimeoutMs
    let last = 'no answer'
    for (;;) {
      if (signal.aborted) throw signal.reason
      if (!this.running) throw this.startError('exited before it was ready')
      try {
        await probe(port)
        return
      } catch (error) {
        last = error instanceof Error ? error.message : String(error)
      }
      if (Date.now() >= deadline) throw this.startError(`did not answer on port ${port} within ${this.spec.startupTimeoutMs / 1000} s (last: ${last})`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  private remember(line: string): void {
    this.log?.write(`${line}\n`)
    this.tail.push(line)
    if (this.tail.length > TAIL_LINES) this.tail.shift()
  }

  private startError(what: string): EnvironmentError {
    const tail = this.tail.length > 0 ? this.tail.map((l) => `    | ${l}`).join('\n') : '    | (no output)'
    return new EnvironmentError(`${this.name} ${what}. Last lines of ${this.spec.logFile}:\n${tail}`)
  }
}
