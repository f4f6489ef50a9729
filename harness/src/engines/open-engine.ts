import { Pool, type Dispatcher } from 'undici'
import type { Workload } from '../workload/workload.js'
import type { EngineSummary } from '../metrics/sample.js'
import { GeneratorMonitor } from '../metrics/generator-monitor.js'
import { createRequestGenerator, JSON_HEADERS, type RequestSpec } from '../workload/request-generator.js'
import type { EngineContext, ExecutionStep, LoadEngine } from './load-engine.js'
import { ArrivalSchedule } from './arrival-schedule.js'
import { SampleBatcher } from './sample-batcher.js'
import { errorLabel } from './error-label.js'

// The open model: requests arrive on a schedule whatever the server does, like users do.
// Latency is measured from each request's INTENDED start time, so a server that stalls for a
// second shows a second of latency for every request that should have started meanwhile
// (coordinated-omission correction); serviceLatencyMs is measured from the actual send. When
// `maxInFlight` requests are outstanding at an arrival, that arrival is recorded as dropped
// (dropped_iterations) instead of being queued: a silent delay would hide the overload.

type OpenLoad = Extract<Workload['load'], { model: 'open' }>

/** How long the engine waits for in-flight requests after an abort before abandoning them. */
const ABORT_GRACE_MS = 1000

function openLoad(w: Workload): OpenLoad {
  if (w.load.model !== 'open') throw new Error(`the open engine drives load.model 'open', got '${w.load.model}'; use the autocannon engine for the closed model`)
  if (!(Number.isInteger(w.load.maxInFlight) && w.load.maxInFlight >= 1)) throw new Error(`load.maxInFlight must be an integer >= 1, got ${w.load.maxInFlight}`)
  return w.load
}

export interface OpenEngineOptions {
  /**
   * Sockets kept to the target. Default: maxInFlight, so a request never waits for a socket and
   * the uncorrected latency is the server's. Fewer sockets model a client with a connection
   * pool: arrivals then wait for a socket, which the corrected latency shows and the
   * uncorrected one (measured from the write) does not - the classic coordinated omission.
   */
  connections?: number
}

export class OpenEngine implements LoadEngine {
  readonly name = 'open' as const

  constructor(private readonly options: OpenEngineOptions = {}) {}

  plan(w: Workload): ExecutionStep[] {
    const load = openLoad(w)
    const schedule = new ArrivalSchedule(load) // validates
    if (load.rate !== undefined) {
      return [{ startS: 0, durationS: schedule.totalS, rate: load.rate, description: `constant ${load.rate} req/s for ${schedule.totalS} s (at most ${load.maxInFlight} in flight)` }]
    }
    const steps: ExecutionStep[] = []
    let t = 0
    let r = 0
    for (const s of load.stages ?? []) {
      steps.push({
        startS: t,
        durationS: s.durationS,
        rate: s.target,
        description: s.durationS === 0 ? `jump to ${s.target} req/s` : r === s.target ? `hold ${s.target} req/s for ${s.durationS} s` : `ramp ${r} -> ${s.target} req/s over ${s.durationS} s`,
      })
      t += s.durationS
      r = s.target
    }
    return steps
  }

  async run(w: Workload, target: URL, ctx: EngineContext): Promise<EngineSummary> {
    const load = openLoad(w)
    const schedule = new ArrivalSchedule(load)
    const gen = createRequestGenerator(w, ctx.dataset, ctx.versions, { emailTag: ctx.emailTag })
    const batcher = new SampleBatcher(ctx.sink)
    const monitor = new GeneratorMonitor()
    const timeout = w.requestTimeoutMs
    const pool = new Pool(target.origin, {
      connections: Math.max(1, Math.min(this.options.connections ?? load.maxInFlight, load.maxInFlight)),
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: { timeout },
    })
    const notes: string[] = []
    let inFlight = 0
    let maxInFlight = 0
    let sent = 0
    let dropped = 0
    let stopping = false // no more arrivals
    let abandoned = false // late completions are not recorded
    let idleResolve: (() => void) | undefined

    monitor.start()
    const startPerf = performance.now()
    const startWall = Date.now()
    let endPerf = startPerf

    const send = (spec: RequestSpec, intendedPerf: number, t: number): void => {
      inFlight++
      sent++
      if (inFlight > maxInFlight) maxInFlight = inFlight
      // Until a socket takes the request, "sent" is when we handed it over; onRequestStart
      // moves it to when the request is actually written (they differ only when the engine
      // was given fewer connections than maxInFlight).
      let sendPerf = performance.now()
      let status = 0
      let backend: string | undefined
      const wantBody = gen.needsBody(spec)
      const chunks: Buffer[] = []
      let settled = false
      const settle = (err?: Error): void => {
        if (settled) return
        settled = true
        inFlight--
        if (!abandoned) {
          const done = performance.now()
          if (err) {
            batcher.push({ t, op: spec.op, status: 0, latencyMs: done - intendedPerf, serviceLatencyMs: done - sendPerf, error: errorLabel(err) })
          } else {
            const staleRead = gen.observe(spec, status, wantBody ? Buffer.concat(chunks).toString('utf8') : undefined)
            batcher.push({ t, op: spec.op, status, latencyMs: done - intendedPerf, serviceLatencyMs: done - sendPerf, backend, staleRead })
          }
        }
        if (inFlight === 0 && idleResolve) idleResolve()
      }
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: () => {
          sendPerf = performance.now()
        },
        onResponseStart: (_c, statusCode, headers) => {
          status = statusCode
          const b = headers['x-backend'] ?? headers['x-replica']
          backend = typeof b === 'string' ? b : undefined
        },
        onResponseData: (_c, chunk) => {
          if (wantBody) chunks.push(chunk)
        },
        onResponseEnd: () => settle(),
        onResponseError: (_c, err) => settle(err),
      }
      try {
        pool.dispatch({ method: spec.method, path: spec.path, headers: spec.body === undefined ? undefined : JSON_HEADERS, body: spec.body }, handler)
      } catch (err) {
        settle(err instanceof Error ? err : new Error(String(err)))
      }
    }

    const fire = (offsetMs: number): void => {
      const spec = gen.next()
      const t = startWall + offsetMs
      if (inFlight >= load.maxInFlight) {
        dropped++
        batcher.push({ t, op: spec.op, status: 0, latencyMs: 0, serviceLatencyMs: 0, dropped: true, error: 'dropped' })
        return
      }
      send(spec, startPerf + offsetMs, t)
    }

    // Per-second progress with the rate the plan aimed for in the second that ended.
    let tickSecond = 0
    const tick = (): void => {
      tickSecond++
      const offeredRate = schedule.cumulative(tickSecond) - schedule.cumulative(tickSecond - 1)
      try {
        // elapsedS is the schedule's whole second (not the timer's late wall time) so that
        // RunRecorder.noteOfferedRate(elapsedS, ...) files the rate under the second it covered.
        ctx.onTick?.({ elapsedS: tickSecond, totalS: schedule.totalS, second: tickSecond - 1, offeredRate })
      } catch {
        // progress display problems must not stop the load
      }
    }
    const ticker = setInterval(tick, 1000)

    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined
      let next = schedule.next()
      const finish = (): void => {
        if (stopping) return
        stopping = true
        endPerf = performance.now()
        if (timer) clearTimeout(timer)
        ctx.signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        notes.push(`aborted after ${((performance.now() - startPerf) / 1000).toFixed(1)} s of ${schedule.totalS} s`)
        finish()
      }
      const pump = (): void => {
        if (stopping) return
        const now = performance.now() - startPerf
        // Fire everything that is due; timers are late sometimes, the schedule is not.
        while (next !== null && next <= now) {
          fire(next)
          next = schedule.next()
        }
        if (next === null) {
          // The plan's last arrival went out; the measured phase is the planned length.
          const remaining = schedule.totalS * 1000 - now
          if (remaining > 0) {
            timer = setTimeout(finish, remaining)
            return
          }
          finish()
          return
        }
        timer = setTimeout(pump, Math.max(0, next - now - 0.5))
      }
      if (ctx.signal.aborted) {
        onAbort()
        return
      }
      ctx.signal.addEventListener('abort', onAbort, { once: true })
      pump()
    })
    clearInterval(ticker)
    // The interval and the end of the plan race at the last whole second: report it either way.
    while (tickSecond < Math.floor((endPerf - startPerf) / 1000 + 0.05)) tick()

    // Let in-flight requests finish: they time out by themselves after requestTimeoutMs.
    const grace = ctx.signal.aborted ? Math.min(ABORT_GRACE_MS, timeout) : timeout + 1000
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, grace)
        idleResolve = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
    if (inFlight > 0) notes.push(`${inFlight} request(s) still in flight after ${grace} ms were abandoned (not recorded)`)
    abandoned = true
    batcher.flush()
    const health = monitor.stop()
    await pool.destroy().catch(() => undefined)
    return {
      engine: 'open',
      durationS: (endPerf - startPerf) / 1000,
      sent,
      dropped,
      maxInFlight,
      generatorCpu: health.cpu,
      eventLoopLagP99Ms: health.eventLoopLagP99Ms,
      notes,
    }
  }
}
