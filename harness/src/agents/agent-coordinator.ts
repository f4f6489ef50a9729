import http from 'node:http'
import type net from 'node:net'
import { describeSegment } from '../workload/execution-segment.js'
import {
  agentMessageSchema,
  PROTOCOL_VERSION,
  type AgentMessage,
  type Assign,
  type CoordinatorMessage,
  type Hello,
  type Progress,
  type WireEngineSummary,
  UPGRADE_PATH,
  UPGRADE_PROTOCOL,
} from './agent-protocol.js'
import { MessageChannel } from './message-channel.js'

// The harness's side of the agent protocol: an HTTP server agents connect to (and upgrade), the roll of
// connected agents (one per slice index), and phases: assign -> every agent ready -> start ->
// progress ... -> done. It never waits on an agent forever: an agent whose connection closes,
// or that sends nothing for `silenceLimitMs` while running, is LOST - its outcome says when,
// and what it reported until then has already been handed on.

export interface CoordinatorOptions {
  /** How many agents make up the pool; an agent's hello must say the same count. */
  count: number
  /** Shared secret agents must present ('' = none). */
  token: string
  /** Where to listen; 127.0.0.1 for local agents. */
  host: string
  port: number
  /** A running agent that sends nothing for this long is lost (it reports every report interval). */
  silenceLimitMs: number
  /** Lines worth a user's attention (agents joining, refused, lost). */
  log(line: string): void
}

export interface AgentInfo {
  index: number
  name: string
  pid: number
  host: string
  version: string
}

export type AgentOutcome =
  | { status: 'done'; info: AgentInfo; summary: WireEngineSummary }
  | { status: 'failed'; info: AgentInfo; message: string }
  /** The connection closed or went silent before `done`; `afterMs` since start (or null when lost before it). */
  | { status: 'lost'; info: AgentInfo; reason: string; afterMs: number | null }

export interface PhaseRun {
  /** Called on abort: every agent stops its load and reports done. */
  stop(): void
  /** Closes the connection of every agent still running the phase: each is reported lost, for `reason`. */
  drop(reason: string): void
  /** Resolves once every agent of the phase is done, failed or lost. */
  outcomes: Promise<Map<number, AgentOutcome>>
}

interface Member {
  info: AgentInfo
  channel: MessageChannel<AgentMessage, CoordinatorMessage>
  lastHeardMs: number
}

interface PhaseHandlers {
  phase: number
  ready(index: number): void
  failed(index: number, message: string): void
  progress(index: number, p: Progress): void
  done(index: number, summary: WireEngineSummary): void
  /** `info` is passed along: the member is gone from the roster by then. */
  lost(info: AgentInfo, reason: string): void
}

const HELLO_TIMEOUT_MS = 10_000

export class AgentCoordinator {
  private readonly members = new Map<number, Member>()
  private readonly rosterWatchers = new Set<() => void>()
  private handlers: PhaseHandlers | null = null
  private phaseSeq = 0
  private closed = false

  private constructor(
    private readonly server: http.Server,
    private readonly options: CoordinatorOptions,
  ) {
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      if (req.url !== UPGRADE_PATH || String(req.headers.upgrade).toLowerCase() !== UPGRADE_PROTOCOL) {
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nagents connect with GET ${UPGRADE_PATH} and Upgrade: ${UPGRADE_PROTOCOL}\n`,
        )
        return
      }
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${UPGRADE_PROTOCOL}\r\nConnection: Upgrade\r\n\r\n`)
      if (head.length > 0) socket.unshift(head)
      this.accept(socket)
    })
  }

  /** Starts listening; resolves once the port is open. */
  static async start(options: CoordinatorOptions): Promise<AgentCoordinator> {
    // A plain GET says what this is (a health check for a Service, or a curious person).
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain' })
      res.end(`LoadLab coordinator, agent protocol ${PROTOCOL_VERSION}: agents connect with GET ${UPGRADE_PATH} and Upgrade: ${UPGRADE_PROTOCOL}\n`)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return new AgentCoordinator(server, options)
  }

  /** http://host:port agents connect to. */
  get url(): URL {
    const address = this.server.address() as net.AddressInfo
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return new URL(`http://${host}:${address.port}`)
  }

  /** Indexes of the agents connected now. */
  connected(): number[] {
    return [...this.members.keys()].sort((a, b) => a - b)
  }

  /** The agent connected for `index`, if any. */
  info(index: number): AgentInfo | undefined {
    return this.members.get(index)?.info
  }

  /**
   * Resolves once agents for all `indexes` are connected. Rejects after `timeoutMs` naming the
   * missing ones (with `explain()`'s hint), or when `signal` aborts.
   */
  async waitForAgents(indexes: number[], timeoutMs: number, signal: AbortSignal, explain: (missing: number[]) => string): Promise<void> {
    const missing = (): number[] => indexes.filter((i) => !this.members.has(i))
    if (missing().length === 0) return
    await new Promise<void>((resolve, reject) => {
      const watcher = (): void => {
        if (missing().length === 0) finish(null)
      }
      const onAbort = (): void => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
      const timer = setTimeout(() => {
        const gone = missing()
        finish(
          new Error(
            `agent${gone.length > 1 ? 's' : ''} ${gone.join(', ')} of ${this.options.count} did not connect to ${this.url.href} within ${timeoutMs / 1000} s${explain(gone)}`,
          ),
        )
      }, timeoutMs)
      const finish = (err: Error | null): void => {
        clearTimeout(timer)
        this.rosterWatchers.delete(watcher)
        signal.removeEventListener('abort', onAbort)
        if (err) reject(err)
        else resolve()
      }
      this.rosterWatchers.add(watcher)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Assigns a new phase to the agents named in `assignments` and resolves with its number once
   * all are ready (warm). Rejects with the first agent's failure (its message names the agent:
   * e.g. the target refused connections), a lost agent, `timeoutMs`, or `signal`.
   */
  async prepare(assignments: Map<number, Omit<Assign, 'type' | 'phase'>>, timeoutMs: number, signal: AbortSignal): Promise<number> {
    const phase = ++this.phaseSeq
    const waiting = new Set(assignments.keys())
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`${[...waiting].map((i) => `agent ${i}`).join(', ')} not ready ${timeoutMs / 1000} s after being assigned the load`)),
        timeoutMs,
      )
      const onAbort = (): void => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
      const finish = (err: Error | null): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        if (this.handlers?.phase === phase && err) this.handlers = null
        if (err) reject(err)
        else resolve(phase)
      }
      const name = (index: number): string => {
        const a = assignments.get(index)
        return a ? describeSegment(a.segment) : `agent ${index}`
      }
      this.handlers = {
        phase,
        ready: (index) => {
          waiting.delete(index)
          if (waiting.size === 0) finish(null)
        },
        failed: (index, message) => finish(new Error(`${name(index)}: ${message}`)),
        lost: ({ index }, reason) => {
          if (assignments.has(index)) finish(new Error(`${name(index)} was lost while preparing (${reason})`))
        },
        progress: () => undefined,
        done: () => undefined,
      }
      signal.addEventListener('abort', onAbort, { once: true })
      for (const [index, a] of assignments) {
        const m = this.members.get(index)
        if (!m?.channel.send({ type: 'assign', phase, ...a })) {
          finish(new Error(`agent ${index} is not connected`))
          return
        }
      }
    })
  }

  /** Starts a prepared phase on `indexes`; progress goes to `onProgress` as it arrives. */
  run(phase: number, indexes: number[], onProgress: (index: number, p: Progress) => void): PhaseRun {
    const outcomes = new Map<number, AgentOutcome>()
    const startedMs = Date.now()
    let resolveAll!: (o: Map<number, AgentOutcome>) => void
    const all = new Promise<Map<number, AgentOutcome>>((resolve) => (resolveAll = resolve))
    const settle = (index: number, outcome: AgentOutcome): void => {
      if (outcomes.has(index) || !indexes.includes(index)) return
      outcomes.set(index, outcome)
      if (outcome.status === 'lost') this.options.log(`agent ${index} lost after ${((Date.now() - startedMs) / 1000).toFixed(1)} s: ${outcome.reason}`)
      if (outcomes.size === indexes.length) {
        clearInterval(watchdog)
        if (this.handlers?.phase === phase) this.handlers = null
        resolveAll(outcomes)
      }
    }
    const infoOf = (index: number): AgentInfo => this.members.get(index)?.info ?? { index, name: `agent ${index}`, pid: 0, host: '', version: '' }
    this.handlers = {
      phase,
      ready: () => undefined,
      failed: (index, message) => settle(index, { status: 'failed', info: infoOf(index), message }),
      progress: (index, p) => onProgress(index, p),
      done: (index, summary) => settle(index, { status: 'done', info: infoOf(index), summary }),
      lost: (info, reason) => settle(info.index, { status: 'lost', info, reason, afterMs: Date.now() - startedMs }),
    }
    // An agent that stops talking (paused, partitioned, wedged) is dropped: its connection is
    // closed, which reports it lost like a crash would.
    const watchdog = setInterval(
      () => {
        const now = Date.now()
        for (const index of indexes) {
          const m = this.members.get(index)
          if (m && !outcomes.has(index) && now - m.lastHeardMs > this.options.silenceLimitMs)
            m.channel.destroy(`no report for ${this.options.silenceLimitMs / 1000} s`)
        }
      },
      Math.min(1000, this.options.silenceLimitMs / 4),
    )
    const now = Date.now()
    for (const index of indexes) {
      const m = this.members.get(index)
      if (!m) settle(index, { status: 'lost', info: infoOf(index), reason: 'not connected at the start', afterMs: null })
      else {
        m.lastHeardMs = now
        if (!m.channel.send({ type: 'start', phase }))
          settle(index, { status: 'lost', info: m.info, reason: 'the connection closed at the start', afterMs: null })
      }
    }
    return {
      stop: () => {
        for (const index of indexes) if (!outcomes.has(index)) this.members.get(index)?.channel.send({ type: 'stop', phase })
      },
      drop: (reason) => {
        for (const index of indexes) if (!outcomes.has(index)) this.members.get(index)?.channel.destroy(reason)
      },
      outcomes: all,
    }
  }

  /** Called at the end: agents are told to exit, connections and the server close. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const m of this.members.values()) m.channel.close('shutdown', { type: 'shutdown' })
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  private accept(socket: net.Socket): void {
    let member: Member | null = null
    const helloTimer = setTimeout(() => channel.destroy(`no hello within ${HELLO_TIMEOUT_MS / 1000} s`), HELLO_TIMEOUT_MS)
    const channel: MessageChannel<AgentMessage, CoordinatorMessage> = new MessageChannel(socket, agentMessageSchema, {
      onMessage: (msg) => {
        if (msg.type === 'hello') {
          clearTimeout(helloTimer)
          if (member) return
          const problem = this.refusal(msg)
          if (problem) {
            this.options.log(`refused agent ${msg.agent.name} from ${socket.remoteAddress}: ${problem}`)
            channel.close(problem, { type: 'reject', message: problem })
            return
          }
          member = {
            info: { index: msg.index, name: msg.agent.name, pid: msg.agent.pid, host: msg.agent.host, version: msg.agent.version },
            channel,
            lastHeardMs: Date.now(),
          }
          this.members.set(msg.index, member)
          channel.send({ type: 'welcome', protocol: PROTOCOL_VERSION })
          for (const w of [...this.rosterWatchers]) w()
          return
        }
        if (!member) {
          channel.close('no hello', { type: 'reject', message: `the first message must be 'hello', got '${msg.type}'` })
          return
        }
        member.lastHeardMs = Date.now()
        const h = this.handlers
        if (!h || msg.phase !== h.phase) return // a late message of a phase that is over
        const index = member.info.index
        if (msg.type === 'ready') h.ready(index)
        else if (msg.type === 'progress') h.progress(index, msg)
        else if (msg.type === 'done') h.done(index, msg.summary)
        else h.failed(index, msg.message)
      },
      onInvalid: (problem) => {
        this.options.log(`agent ${member?.info.index ?? '?'} sent ${problem}`)
        channel.close(problem, { type: 'reject', message: `this coordinator (protocol ${PROTOCOL_VERSION}) could not read ${problem}` })
      },
      onClose: (reason) => {
        clearTimeout(helloTimer)
        if (!member || this.members.get(member.info.index) !== member) return
        this.members.delete(member.info.index)
        this.handlers?.lost(member.info, reason)
        for (const w of [...this.rosterWatchers]) w()
      },
    })
  }

  /** Why an agent's hello is refused, or null when it may join. */
  private refusal(h: Hello): string | null {
    if (this.closed) return 'the coordinator is shutting down'
    if (h.protocol !== PROTOCOL_VERSION)
      return `the agent speaks protocol ${h.protocol}, this coordinator ${PROTOCOL_VERSION}: run the same LoadLab version on both sides`
    if (h.token !== this.options.token) return "wrong token: give the agent the coordinator's LOADLAB_AGENT_TOKEN"
    if (h.count !== this.options.count)
      return `the agent was started as one of ${h.count}, this run has ${this.options.count} agents: start it with --slice ${h.index}/${this.options.count}`
    if (h.index >= this.options.count) return `index ${h.index} is out of range 0..${this.options.count - 1}`
    const existing = this.members.get(h.index)
    if (existing) return `index ${h.index} is already taken by ${existing.info.name}`
    return null
  }
}
