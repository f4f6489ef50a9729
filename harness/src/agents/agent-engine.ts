import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { ArrivalSchedule } from '../engines/arrival-schedule.js'
import { describeSegment, maxSlices } from '../workload/execution-segment.js'
import type { EngineContext, ExecutionStep, LoadEngine } from '../engines/load-engine.js'
import { createEngine } from '../engines/engine-registry.js'
import { createLatencyHistogram, maxMs, percentileMs } from '../metrics/latency-histogram.js'
import { addEncodedHistogram, encodeHistogram } from '../metrics/metrics-delta.js'
import type { AgentReport, EngineSummary } from '../metrics/sample.js'
import type { Workload } from '../workload/workload.js'
import { AgentCoordinator, type AgentInfo, type AgentOutcome } from './agent-coordinator.js'
import type { Assign } from './agent-protocol.js'
import { LocalAgents } from './local-agents.js'

// The load engine the harness uses: the load runs in N agents, each with its own connections
// and an equal slice of the arrivals or connections (execution segments); this process only
// hands out the slices, merges what the agents report (exact histograms, counters, per-second
// series) into the run's recorder, and keeps its own event loop free for scraping, faults and
// progress. Local agents are worker processes on this machine; remote agents are
// `loadlab agent` processes elsewhere (pods) that connect to `--agent-listen`. Both speak the
// same protocol (README.md). An agent that dies is reported and its results so far are kept;
// the run never waits for it.

export interface AgentEngineOptions {
  /** What each agent runs: the open (arrival-rate) or the autocannon (closed) engine. */
  engine: 'native' | 'autocannon'
  /** How many agents share the load (fewer are used when the load has fewer connections / in-flight slots). */
  agents: number
  /** Wait for remote agents on this address instead of starting local ones. */
  listen?: { host: string; port: number }
  /** Shared secret remote agents must present (LOADLAB_AGENT_TOKEN); local agents get a random one. */
  token?: string
  /** How often agents report (ms). */
  reportIntervalMs?: number
  /** An agent silent this long while running is lost (ms). */
  silenceLimitMs?: number
  /** How long to wait for agents to connect (ms); default 30 s local, 5 min remote. */
  connectTimeoutMs?: number
  /** Where the coordinator's own messages go (agents joining, refused, lost); default stderr. */
  log?(line: string): void
}

/** One agent per core the harness does not need itself: 1 on a 2-core machine. */
export function defaultAgentCount(): number {
  return Math.max(1, os.availableParallelism() - 1)
}

const DEFAULT_REPORT_INTERVAL_MS = 250
const DEFAULT_SILENCE_LIMIT_MS = 10_000
/** Preparing = opening the warm connections, at most requestTimeoutMs (10 s) in the engine, plus start-up. */
const PREPARE_TIMEOUT_MS = 60_000
/** Agents still running this long (ms) after a phase's planned end and its request timeout are told to stop. */
const OVERRUN_MARGIN_MS = 5000
/** Agents that go on running this long (ms) after being told to stop are dropped as lost. */
const STOP_GRACE_MS = 5000

export class AgentEngine implements LoadEngine {
  readonly name: 'native' | 'autocannon'
  private readonly local: boolean
  private coordinator: AgentCoordinator | null = null
  private launcher: LocalAgents | null = null
  private prepared: { workload: Workload; target: string; phase: number; indexes: number[] } | null = null
  private readonly token: string
  private readonly log: (line: string) => void

  constructor(private readonly options: AgentEngineOptions) {
    if (!(Number.isInteger(options.agents) && options.agents >= 1))
      throw new Error(`the number of load agents must be a whole number >= 1, got ${options.agents}`)
    this.name = options.engine
    this.local = options.listen === undefined
    this.token = options.token ?? (this.local ? randomBytes(16).toString('hex') : '')
    this.log = options.log ?? ((line) => process.stderr.write(`loadlab coordinator: ${line}\n`))
  }

  /** Agents this workload is shared by: never more than it has connections (closed) or in-flight slots (open). */
  agentsFor(w: Workload): number {
    return Math.max(1, Math.min(this.options.agents, maxSlices(w.load)))
  }

  plan(w: Workload): ExecutionStep[] {
    const steps = createEngine(this.name).plan(w)
    const n = this.agentsFor(w)
    if (n === 1) return steps
    return steps.map((s) => ({ ...s, description: `${s.description}, shared by ${n} load agents` }))
  }

  /** The agents connected now (index, name, pid, host): for progress displays, and tests that stop one. */
  connectedAgents(): AgentInfo[] {
    const c = this.coordinator
    return c ? c.connected().map((i) => c.info(i)!) : []
  }

  /** The address agents connect to (starts the coordinator when needed): what remote agents are given as --coordinator. */
  async listen(): Promise<URL> {
    return (await this.ensureCoordinator()).url
  }

  /** Starts the agents (local) or waits for them (remote), assigns each its slice and waits until all opened their connections. */
  async prepare(w: Workload, target: URL, ctx: EngineContext): Promise<void> {
    this.prepared = null
    const coordinator = await this.ensureCoordinator()
    const n = this.agentsFor(w)
    const indexes = Array.from({ length: n }, (_, i) => i)
    this.launcher?.ensure(indexes)
    const connectTimeoutMs = this.options.connectTimeoutMs ?? (this.local ? 30_000 : 300_000)
    const missing = indexes.filter((i) => !coordinator.connected().includes(i))
    if (!this.local && missing.length > 0) {
      this.log(
        `waiting up to ${connectTimeoutMs / 1000} s for ${missing.length} load agent(s): start each with \`loadlab agent --coordinator ${coordinator.url.href} --slice I/${this.options.agents}\` (I = ${missing.join(', ')})`,
      )
    }
    await coordinator.waitForAgents(indexes, connectTimeoutMs, ctx.signal, (missing) =>
      this.launcher
        ? `: ${missing.map((i) => `agent ${i} ${this.launcher!.describe(i)}`).join('; ')}`
        : `: start them with \`loadlab agent --coordinator ${coordinator.url.href} --slice I/${this.options.agents}\` (I = ${missing.join(', ')})`,
    )
    const baseTag = ctx.emailTag ?? `n${w.seed}`
    const versions = [...ctx.versions.entries()]
    const assignments = new Map<number, Omit<Assign, 'type' | 'phase'>>()
    for (const index of indexes) {
      assignments.set(index, {
        engine: this.name,
        workload: w,
        target: target.href,
        segment: { index, count: n },
        dataset: ctx.dataset.customerIds,
        versions,
        // Customers created by different agents must not share emails (a duplicate is a 409).
        emailTag: n > 1 ? `${baseTag}a${index}` : ctx.emailTag,
        reportIntervalMs: this.options.reportIntervalMs ?? DEFAULT_REPORT_INTERVAL_MS,
      })
    }
    const phase = await coordinator.prepare(assignments, PREPARE_TIMEOUT_MS, ctx.signal)
    this.prepared = { workload: w, target: target.href, phase, indexes }
  }

  async run(w: Workload, target: URL, ctx: EngineContext): Promise<EngineSummary> {
    if (!(this.prepared && this.prepared.workload === w && this.prepared.target === target.href)) await this.prepare(w, target, ctx)
    const { phase, indexes } = this.prepared!
    this.prepared = null
    const coordinator = this.coordinator!
    const recorded = new Map<number, { requests: number; dropped: number }>(indexes.map((i) => [i, { requests: 0, dropped: 0 }]))
    const problems: string[] = []
    const startPerf = performance.now()
    const run = coordinator.run(phase, indexes, (index, p) => {
      if (p.delta) {
        try {
          ctx.sink.merge(p.delta)
          const r = recorded.get(index)!
          r.requests += p.delta.passes + p.delta.fails
          r.dropped += p.delta.dropped
        } catch (err) {
          problems.push(`a report of agent ${index} could not be read and was left out: ${(err as Error).message}`)
        }
      }
      for (const [id, v, atMs] of p.acks) ctx.versions.acknowledge(id, v, atMs)
      for (const id of p.created) ctx.dataset.customerIds.push(id)
    })
    const onAbort = (): void => run.stop()
    if (ctx.signal.aborted) onAbort()
    else ctx.signal.addEventListener('abort', onAbort, { once: true })

    // Progress once a second, from this process's clock (agents are in step with it to within the start message's delivery).
    const load = w.load
    const schedule = load.model === 'open' ? new ArrivalSchedule(load) : null
    const totalS = schedule ? schedule.totalS : load.model === 'closed' ? load.durationS : 0
    let tickSecond = 0
    const tick = (): void => {
      tickSecond++
      const offeredRate = schedule ? schedule.cumulative(tickSecond) - schedule.cumulative(tickSecond - 1) : undefined
      try {
        ctx.onTick?.({ elapsedS: schedule ? tickSecond : (performance.now() - startPerf) / 1000, totalS, second: tickSecond - 1, offeredRate })
      } catch {
        // progress display problems must not stop the load
      }
    }
    const ticker = setInterval(tick, 1000)
    // Agents that keep reporting but never finish (a wedged engine, a bug) must not hang the run:
    // past the planned end they are stopped, as on abort, and dropped if even that does not end them.
    let overrun: NodeJS.Timeout | undefined
    if (totalS > 0) {
      const limitMs = totalS * 1000 + w.requestTimeoutMs + OVERRUN_MARGIN_MS
      overrun = setTimeout(() => {
        problems.push(
          `the load agents were still running ${(limitMs / 1000).toFixed(1)} s into a ${totalS} s phase (its length, the request timeout and ${OVERRUN_MARGIN_MS / 1000} s): they were stopped there`,
        )
        run.stop()
        overrun = setTimeout(() => run.drop(`still running ${STOP_GRACE_MS / 1000} s after being told to stop`), STOP_GRACE_MS)
      }, limitMs)
    }
    let outcomes: Map<number, AgentOutcome>
    try {
      outcomes = await run.outcomes
    } finally {
      clearInterval(ticker)
      clearTimeout(overrun)
      ctx.signal.removeEventListener('abort', onAbort)
    }
    const elapsedS = (performance.now() - startPerf) / 1000
    // A local agent whose connection dropped has usually just died: its exit status says how.
    await Promise.all([...outcomes].filter(([, o]) => o.status !== 'done').map(([i]) => this.launcher?.waitForExit(i, 1000)))
    const summary = this.combine(outcomes, indexes.length, recorded, elapsedS, problems)
    if (schedule) while (tickSecond < Math.floor(Math.min(summary.durationS, schedule.totalS) + 0.05)) tick()
    const all = [...outcomes.values()]
    if (all.every((o) => o.status === 'failed')) {
      const first = all[0] as Extract<AgentOutcome, { status: 'failed' }>
      throw new Error(
        indexes.length === 1
          ? first.message
          : `every load agent failed; ${describeSegment({ index: first.info.index, count: indexes.length })}: ${first.message}`,
      )
    }
    return summary
  }

  /** Stops the agents and the coordinator (after the run's last phase, also after a failure). */
  async close(): Promise<void> {
    this.prepared = null
    const coordinator = this.coordinator
    this.coordinator = null
    await coordinator?.close()
    await this.launcher?.stop()
    this.launcher = null
  }

  private async ensureCoordinator(): Promise<AgentCoordinator> {
    if (this.coordinator) return this.coordinator
    const listen = this.options.listen ?? { host: '127.0.0.1', port: 0 }
    this.coordinator = await AgentCoordinator.start({
      count: this.options.agents,
      token: this.token,
      host: listen.host,
      port: listen.port,
      silenceLimitMs: this.options.silenceLimitMs ?? DEFAULT_SILENCE_LIMIT_MS,
      log: this.local ? () => undefined : this.log,
    })
    if (this.local) this.launcher = new LocalAgents(this.coordinator.url, this.options.agents, this.token)
    return this.coordinator
  }

  /** One summary for the run from every agent's: counts add, histograms merge, the worst generator health shows. */
  private combine(
    outcomes: Map<number, AgentOutcome>,
    n: number,
    recorded: Map<number, { requests: number; dropped: number }>,
    elapsedS: number,
    problems: string[],
  ): EngineSummary {
    const lag = createLatencyHistogram()
    let lagSeen = false
    let durationS = 0
    let sent = 0
    let dropped = 0
    let maxInFlight = 0
    let generatorCpu = 0
    let eventLoopLagP99Ms = 0
    let warm = 0
    let openedDuringRun = 0
    let connectionsSeen = false
    const noteAgents = new Map<string, number[]>()
    const agents: AgentReport[] = []
    for (const index of [...outcomes.keys()].sort((a, b) => a - b)) {
      const o = outcomes.get(index)!
      const rec = recorded.get(index) ?? { requests: 0, dropped: 0 }
      const base = { index, name: o.info.name, pid: o.info.pid, host: o.info.host }
      if (o.status !== 'done') {
        sent += rec.requests
        dropped += rec.dropped
        const problem =
          o.status === 'failed'
            ? `failed: ${o.message}`
            : `lost${o.afterMs === null ? ' before it started' : ` ${(o.afterMs / 1000).toFixed(1)} s into the measured phase`} (${o.reason}${this.launcher ? `; ${this.launcher.describe(index)}` : ''})`
        agents.push({ ...base, status: o.status, sent: rec.requests, dropped: rec.dropped, cpu: 0, eventLoopLagP99Ms: 0, problem })
        continue
      }
      const s = o.summary
      durationS = Math.max(durationS, s.durationS)
      sent += s.sent
      dropped += s.dropped
      maxInFlight += s.maxInFlight
      generatorCpu = Math.max(generatorCpu, s.generatorCpu)
      eventLoopLagP99Ms = Math.max(eventLoopLagP99Ms, s.eventLoopLagP99Ms)
      if (s.scheduleLag) {
        lagSeen = true
        addEncodedHistogram(lag, s.scheduleLag.histogram)
      }
      if (s.connections) {
        connectionsSeen = true
        warm += s.connections.warm
        openedDuringRun += s.connections.openedDuringRun
      }
      for (const note of s.notes) noteAgents.set(note, [...(noteAgents.get(note) ?? []), index])
      agents.push({ ...base, status: 'done', sent: s.sent, dropped: s.dropped, cpu: s.generatorCpu, eventLoopLagP99Ms: s.eventLoopLagP99Ms })
    }
    const notes = [...noteAgents].map(([note, who]) =>
      n === 1 ? note : `${who.length === n ? 'every agent' : `agent${who.length > 1 ? 's' : ''} ${who.join(', ')}`}: ${note}`,
    )
    notes.push(...problems)
    return {
      engine: this.name,
      durationS: durationS > 0 ? durationS : elapsedS,
      sent,
      dropped,
      maxInFlight,
      generatorCpu,
      eventLoopLagP99Ms,
      ...(lagSeen ? { scheduleLag: { p50Ms: percentileMs(lag, 50), p99Ms: percentileMs(lag, 99), maxMs: maxMs(lag), histogram: encodeHistogram(lag) } } : {}),
      ...(connectionsSeen ? { connections: { warm, openedDuringRun } } : {}),
      agents,
      notes,
    }
  }
}
