import http from 'node:http'
import type net from 'node:net'
import os from 'node:os'
import { createEngine } from '../engines/engine-registry.js'
import type { EngineContext, LoadEngine } from '../engines/load-engine.js'
import { DeltaRecorder } from '../metrics/delta-recorder.js'
import { toolVersion } from '../runner/tool-version.js'
import { VersionTracker } from '../workload/version-tracker.js'
import type { Workload } from '../workload/workload.js'
import {
  coordinatorMessageSchema,
  PROTOCOL_VERSION,
  UPGRADE_PATH,
  UPGRADE_PROTOCOL,
  type AgentMessage,
  type Assign,
  type CoordinatorMessage,
} from './agent-protocol.js'
import type { AgentOptions } from './agent-options.js'
import { warmUpEngine } from './jit-warm-up.js'
import { MessageChannel } from './message-channel.js'

// A load agent: connects to the coordinator, says which slice it runs (hello), and then for each
// phase the coordinator assigns (the warm-up, the measured phase): prepares the engine on its
// slice (the first time, a warm-up of its own compiles it, see jit-warm-up.ts; then warm
// connections) -> ready -> waits for start -> runs, reporting a MetricsDelta every report
// interval -> done. It stops its load as soon as the coordinator says stop or goes away:
// an agent never keeps loading a target nobody measures.

/** How long a connect attempt to the coordinator is retried (the coordinator may start after the agent, as pods do). */
const RETRY_EVERY_MS = 500

/** Remembers writes acknowledged since the last report, each with when it was acknowledged, to send them to the coordinator. */
class ReportingVersionTracker extends VersionTracker {
  private fresh: Array<[string, number, number]> = []

  override acknowledge(id: string, version: number, atMs = Date.now()): void {
    super.acknowledge(id, version, atMs)
    this.fresh.push([id, version, atMs])
  }

  takeFresh(): Array<[string, number, number]> {
    const out = this.fresh
    this.fresh = []
    return out
  }
}

interface Phase {
  assign: Assign
  workload: Workload
  engine: LoadEngine
  ctx: EngineContext & { versions: ReportingVersionTracker }
  controller: AbortController
  reportedIds: number
  started: boolean
}

/** Opens the connection and upgrades it to the message stream; rejects with why not (refused, not a coordinator). */
function upgrade(url: URL): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const req = http.request({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 80),
      path: UPGRADE_PATH,
      headers: { Connection: 'Upgrade', Upgrade: UPGRADE_PROTOCOL },
    })
    req.on('upgrade', (_res, socket: net.Socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head)
      resolve(socket)
    })
    req.on('response', (res) => {
      res.resume()
      reject(
        new Error(
          `${url.href} answered HTTP ${res.statusCode} instead of switching to the agent protocol: is it a LoadLab coordinator (loadlab run --agent-listen)?`,
        ),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

async function connectWithRetry(url: URL, deadlineMs: number, log: (line: string) => void): Promise<net.Socket> {
  let announced = false
  for (;;) {
    try {
      return await upgrade(url)
    } catch (err) {
      const message = (err as Error).message
      // Retry only while nothing listens (yet): anything else will not get better by waiting.
      const refused =
        (err as { code?: string }).code === 'ECONNREFUSED' ||
        (err as { code?: string }).code === 'ECONNRESET' ||
        (err as { code?: string }).code === 'ENOTFOUND' ||
        (err as { code?: string }).code === 'EAI_AGAIN'
      if (!refused || Date.now() >= deadlineMs) throw new Error(`cannot reach the coordinator at ${url.href}: ${message}`)
      if (!announced) log(`waiting for the coordinator at ${url.href} (${message})`)
      announced = true
      await new Promise((r) => setTimeout(r, RETRY_EVERY_MS))
    }
  }
}

/**
 * Runs the agent until the coordinator says shutdown or goes away. Resolves with the exit code:
 * 0 after shutdown, 2 when the coordinator refused this agent (wrong protocol, token, index), 1
 * when the coordinator could not be reached or was lost.
 */
export async function runAgent(opts: AgentOptions): Promise<number> {
  const me = `agent ${opts.index} of ${opts.count} (${opts.name})`
  const log = (line: string): void => opts.log(`${me}: ${line}`)
  const socket = await connectWithRetry(opts.coordinator, Date.now() + opts.connectTimeoutMs, log)
  const engines = new Map<string, LoadEngine>()
  let phase: Phase | null = null
  let shutdown = false
  let exitCode = 1

  return new Promise<number>((resolve) => {
    const channel = new MessageChannel<CoordinatorMessage, AgentMessage>(socket, coordinatorMessageSchema, {
      onMessage: (msg) => handle(msg),
      onInvalid: (problem) => log(`the coordinator sent ${problem}`),
      onClose: (reason) => {
        phase?.controller.abort(new Error('the coordinator went away'))
        void Promise.allSettled([...engines.values()].map((e) => e.close?.())).then(() => {
          if (!shutdown && exitCode !== 2) log(`lost the coordinator (${reason})`)
          resolve(shutdown ? 0 : exitCode)
        })
      },
    })

    const fail = (p: Phase, err: unknown): void => {
      const message = err instanceof Error ? err.message : String(err)
      log(`phase ${p.assign.phase} failed: ${message}`)
      channel.send({ type: 'failed', phase: p.assign.phase, message })
      if (phase === p) phase = null
    }

    const report = (p: Phase, recorder: DeltaRecorder): void => {
      const ids = p.ctx.dataset.customerIds
      const created = ids.slice(p.reportedIds)
      p.reportedIds = ids.length
      channel.send({ type: 'progress', phase: p.assign.phase, delta: recorder.take(), acks: p.ctx.versions.takeFresh(), created })
    }

    const engineFor = (name: Assign['engine']): LoadEngine => {
      let engine = engines.get(name)
      if (!engine) {
        // One engine per kind for the agent's life: the native engine sizes its warm connections from its previous phase.
        engine = createEngine(name)
        engines.set(name, engine)
      }
      return engine
    }

    // The coordinator's target, unless this agent reaches the system under test by another address.
    const targetOf = (assign: Assign): URL => opts.target ?? new URL(assign.target)

    const prepare = async (assign: Assign): Promise<void> => {
      const versions = new ReportingVersionTracker()
      for (const [id, v] of assign.versions) versions.acknowledge(id, v)
      versions.takeFresh()
      const workload: Workload = assign.workload
      const p: Phase = {
        assign,
        workload,
        engine: engineFor(assign.engine),
        controller: new AbortController(),
        ctx: {
          sink: new DeltaRecorder(Date.now()),
          signal: new AbortController().signal,
          dataset: { customerIds: assign.dataset },
          versions,
          emailTag: assign.emailTag,
          segment: assign.segment,
        },
        reportedIds: assign.dataset.length,
        started: false,
      }
      p.ctx.signal = p.controller.signal
      phase = p
      try {
        await warmUpEngine(assign.engine, p.ctx.signal)
        await p.engine.prepare?.(workload, targetOf(assign), p.ctx)
      } catch (err) {
        fail(p, err)
        return
      }
      if (phase === p) channel.send({ type: 'ready', phase: assign.phase })
    }

    const start = async (p: Phase): Promise<void> => {
      p.started = true
      const recorder = new DeltaRecorder(Date.now())
      p.ctx.sink = recorder
      const reporter = setInterval(() => report(p, recorder), p.assign.reportIntervalMs)
      try {
        const summary = await p.engine.run(p.workload, targetOf(p.assign), p.ctx)
        clearInterval(reporter)
        report(p, recorder)
        channel.send({ type: 'done', phase: p.assign.phase, summary })
        if (phase === p) phase = null
      } catch (err) {
        clearInterval(reporter)
        report(p, recorder)
        fail(p, err)
      }
    }

    const handle = (msg: CoordinatorMessage): void => {
      switch (msg.type) {
        case 'welcome':
          log(`connected to ${opts.coordinator.href}`)
          return
        case 'reject':
          log(`refused by the coordinator: ${msg.message}`)
          exitCode = 2
          channel.close('refused')
          return
        case 'assign':
          if (phase && !phase.started) void phase.engine.close?.()
          phase?.controller.abort(new Error('replaced by a new phase'))
          void prepare(msg)
          return
        case 'start':
          if (phase && phase.assign.phase === msg.phase && !phase.started) void start(phase)
          return
        case 'stop':
          if (phase && phase.assign.phase === msg.phase) phase.controller.abort(new Error('stopped by the coordinator'))
          return
        case 'shutdown':
          shutdown = true
          channel.close('shutdown')
          return
      }
    }

    channel.send({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      index: opts.index,
      count: opts.count,
      token: opts.token,
      agent: { name: opts.name, pid: process.pid, host: os.hostname(), node: process.version, version: toolVersion() },
    })
  })
}
