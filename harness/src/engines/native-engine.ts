import type { Workload } from '../workload/workload.js'
import type { EngineSummary, Sample, ScheduleLag } from '../metrics/sample.js'
import { GeneratorMonitor } from '../metrics/generator-monitor.js'
import { createLatencyHistogram, maxMs, percentileMs, recordMs } from '../metrics/latency-histogram.js'
import { encodeHistogram } from '../metrics/metrics-delta.js'
import { createRequestGenerator, type RequestSpec } from '../workload/request-generator.js'
import { HttpIteration, HttpRequestStream } from '../workload/http-request-stream.js'
import type { EngineContext, ExecutionStep, LoadEngine } from './load-engine.js'
import { ArrivalSchedule } from './arrival-schedule.js'
import { ConnectionPool } from './connection-pool.js'
import { shareOf, WHOLE_LOAD } from '../workload/execution-segment.js'
import { ArrivalClock, SPIN_MIN_GAP_MS, WAKE_LEAD_MS } from './arrival-clock.js'
import { SampleBatcher } from './sample-batcher.js'

// The open model: requests arrive on a schedule whatever the server does, like users do.
// Latency is measured from each request's INTENDED start time, so a server that stalls for a
// second shows a second of latency for every request that should have started meanwhile
// (coordinated-omission correction); serviceLatencyMs is measured from the actual write. When
// `maxInFlight` requests are outstanding at an arrival, that arrival is recorded as dropped
// (dropped_iterations) instead of being queued: a silent delay would hide the overload.
//
// Timing: Node's timers have 1 ms granularity, too coarse for arrivals a fraction of a
// millisecond apart. The engine is woken for its next arrival by an ArrivalClock (microsecond
// wake-ups without busy-waiting) and fires every arrival that is due in one go; when it is busy
// with responses it finds due arrivals itself. How late each arrival went out (schedule lag) is
// recorded and reported. The phase ends by a timer at its planned length, which also fires
// anything still due: a wake-up the clock never delivered makes arrivals late, never a phase endless.
//
// HTTP workloads (the user's own service): one arrival is one flow iteration. Its first step is
// measured from the arrival's intended time; each later step from the moment the previous one
// answered plus its planned think time, so a stall delays (and shows in) every step that should
// have started meanwhile. An iteration holds its in-flight slot (maxInFlight = concurrent
// iterations, k6's VUs) from its arrival until its last step answered; steps still to come when
// the measured phase ends are not sent.
//
// Warm start: prepare() opens the connections the run will need before the measured phase -
// the peak rate times an expected latency (the concurrency the previous run of this engine
// reached, else DEFAULT_EXPECTED_LATENCY_MS) - and the pool grows on demand beyond that; the
// summary says how many connections had to be opened during the measured phase.

type OpenLoad = Extract<Workload['load'], { model: 'open' }>

/** How long the engine waits for in-flight requests after an abort before abandoning them. */
const ABORT_GRACE_MS = 1000
/** Latency assumed for the warm-start estimate when this engine has not run against the target yet. */
const DEFAULT_EXPECTED_LATENCY_MS = 25

function openLoad(w: Workload): OpenLoad {
  if (w.load.model !== 'open')
    throw new Error(`the native engine drives load.model 'open', got '${w.load.model}'; use the autocannon engine for the closed model`)
  if (!(Number.isInteger(w.load.maxInFlight) && w.load.maxInFlight >= 1)) throw new Error(`load.maxInFlight must be an integer >= 1, got ${w.load.maxInFlight}`)
  return w.load
}

/** The highest arrival rate (req/s) the plan reaches. */
function peakRate(load: OpenLoad): number {
  return load.rate ?? Math.max(0, ...(load.stages ?? []).map((s) => s.target))
}

export interface NativeEngineOptions {
  /**
   * Sockets kept to the target. Default: maxInFlight, so a request never waits for a socket and
   * the uncorrected latency is the server's. Fewer sockets model a client with a connection
   * pool: arrivals then wait for a socket, which the corrected latency shows and the
   * uncorrected one (measured from the write) does not - the classic coordinated omission.
   */
  connections?: number
  /** Connections opened before the measured phase; default: estimated from the peak rate (see above). */
  warmConnections?: number
}

interface Exchange {
  /** The CRM request (CRM workloads). */
  spec?: RequestSpec
  /** The flow iteration this request is a step of (HTTP workloads). */
  iteration?: HttpIteration
  op: string
  intendedPerf: number
  sentPerf: number
  /** Wall clock of the intended start (Sample.epochMs). */
  epochMs: number
}

interface Prepared {
  workload: Workload
  target: string
  pool: ConnectionPool<Exchange>
  warm: number
  schedule: ArrivalSchedule
  clock: ArrivalClock
  /** Replaced by run(): the pool's hooks call these. */
  handlers: {
    write(x: Exchange): void
    response(x: Exchange, status: number, body: string | undefined, headers: string[] | undefined): void
    error(x: Exchange, e: string): void
  }
}

export class NativeEngine implements LoadEngine {
  readonly name = 'native' as const
  private prepared: Prepared | null = null
  /** Concurrency and peak rate of the previous run: the warm-start estimate for the next (Little's law). */
  private previous: { maxInFlight: number; peakRate: number } | null = null

  constructor(private readonly options: NativeEngineOptions = {}) {}

  plan(w: Workload): ExecutionStep[] {
    const load = openLoad(w)
    const schedule = new ArrivalSchedule(load) // validates
    if (load.rate !== undefined) {
      return [
        {
          startS: 0,
          durationS: schedule.totalS,
          rate: load.rate,
          description: `constant ${load.rate} req/s for ${schedule.totalS} s (at most ${load.maxInFlight} in flight)`,
        },
      ]
    }
    const steps: ExecutionStep[] = []
    let t = 0
    let r = 0
    for (const s of load.stages ?? []) {
      steps.push({
        startS: t,
        durationS: s.durationS,
        rate: s.target,
        description:
          s.durationS === 0
            ? `jump to ${s.target} req/s`
            : r === s.target
              ? `hold ${s.target} req/s for ${s.durationS} s`
              : `ramp ${r} -> ${s.target} req/s over ${s.durationS} s`,
      })
      t += s.durationS
      r = s.target
    }
    return steps
  }

  /** Opens the warm connections (see the top of this file). */
  async prepare(w: Workload, target: URL, ctx: EngineContext): Promise<void> {
    await this.close()
    const load = openLoad(w)
    const segment = ctx.segment ?? WHOLE_LOAD
    const maxInFlight = shareOf(load.maxInFlight, segment)
    const maxConnections = Math.max(1, Math.min(this.options.connections ?? maxInFlight, maxInFlight))
    const rate = peakRate(load) / segment.count
    const expected =
      this.previous && this.previous.peakRate > 0 ? (this.previous.maxInFlight * rate) / this.previous.peakRate : (rate * DEFAULT_EXPECTED_LATENCY_MS) / 1000
    const warm = Math.min(maxConnections, this.options.warmConnections ?? Math.ceil(expected * 1.25) + 2)
    const handlers: Prepared['handlers'] = { write: () => undefined, response: () => undefined, error: () => undefined }
    const pool = new ConnectionPool<Exchange>(
      target,
      { maxConnections, timeoutMs: w.requestTimeoutMs },
      {
        onWrite: (x) => handlers.write(x),
        onResponse: (x, s, body, headers) => handlers.response(x, s, body, headers),
        onError: (x, e) => handlers.error(x, e),
      },
    )
    const schedule = new ArrivalSchedule(load, segment)
    const clock = new ArrivalClock(schedule)
    try {
      await Promise.all([pool.warm(warm, Math.min(w.requestTimeoutMs, 10_000)), clock.ready()])
    } catch (err) {
      pool.close()
      clock.close()
      throw err
    }
    this.prepared = { workload: w, target: target.href, pool, warm, schedule, clock, handlers }
  }

  /** Closes warm connections that a run did not use (prepare() without run()). */
  async close(): Promise<void> {
    this.prepared?.pool.close()
    this.prepared?.clock.close()
    this.prepared = null
  }

  async run(w: Workload, target: URL, ctx: EngineContext): Promise<EngineSummary> {
    const load = openLoad(w)
    const segment = ctx.segment ?? WHOLE_LOAD
    const maxInFlight = shareOf(load.maxInFlight, segment)
    const http = w.http ? new HttpRequestStream(w.http, { host: target.host, seed: w.seed, segment }) : null
    const gen = http ? null : createRequestGenerator(w, ctx.dataset, ctx.versions, { emailTag: ctx.emailTag, stream: segment.index })
    const p = this.prepared
    if (!(p && p.workload === w && p.target === target.href && p.schedule.segment.index === segment.index && p.schedule.segment.count === segment.count))
      await this.prepare(w, target, ctx)
    const { pool, warm, schedule, clock, handlers } = this.prepared!
    this.prepared = null
    const openedBefore = pool.opened
    const batcher = new SampleBatcher(ctx.sink)
    const monitor = new GeneratorMonitor()
    const lag = createLatencyHistogram()
    const host = target.host
    const notes: string[] = []
    let inFlight = 0
    let maxInFlightSeen = 0
    let sent = 0
    let dropped = 0
    let stopping = false // no more arrivals
    let abandoned = false // late completions are not recorded
    let idleResolve: (() => void) | undefined

    const settled = (): void => {
      inFlight--
      if (inFlight === 0 && idleResolve) idleResolve()
    }
    handlers.write = (x) => {
      x.sentPerf = performance.now()
    }
    handlers.response = (x, status, body, headers) => {
      if (x.iteration) return stepAnswered(x, x.iteration, status, body, headers)
      settled()
      if (abandoned) return
      const done = performance.now()
      const staleRead = gen!.observe(x.spec!, status, body)
      batcher.push({ epochMs: x.epochMs, op: x.op, status, latencyMs: done - x.intendedPerf, serviceLatencyMs: done - x.sentPerf, staleRead })
    }
    handlers.error = (x, error) => {
      if (x.iteration) return stepAnswered(x, x.iteration, 0, undefined, undefined, error)
      settled()
      if (abandoned) return
      const done = performance.now()
      batcher.push({ epochMs: x.epochMs, op: x.op, status: 0, latencyMs: done - x.intendedPerf, serviceLatencyMs: done - x.sentPerf, error })
    }

    // HTTP workloads: a step of a flow iteration goes out (at once, or after its think time) ...
    const thinking = new Map<NodeJS.Timeout, () => void>()
    const sendStep = (it: HttpIteration, intendedPerf: number): void => {
      sent++
      const r = it.current
      pool.send(
        r.payload,
        r.wantBody,
        { op: r.op, iteration: it, intendedPerf, sentPerf: intendedPerf, epochMs: startWall + (intendedPerf - startPerf) },
        r.wantHeaders,
      )
    }
    // ... and its answer is recorded and moves the iteration on; the slot is freed after its last step.
    const stepAnswered = (x: Exchange, it: HttpIteration, status: number, body: string | undefined, headers: string[] | undefined, error?: string): void => {
      if (abandoned) {
        settled()
        return
      }
      const done = performance.now()
      const out = it.respond(status, body, headers)
      const sample: Sample = { epochMs: x.epochMs, op: x.op, status, latencyMs: done - x.intendedPerf, serviceLatencyMs: done - x.sentPerf }
      if (error !== undefined) sample.error = error
      if (out.checksPassed + out.checksFailed > 0) {
        sample.checksPassed = out.checksPassed
        sample.checksFailed = out.checksFailed
      }
      if (out.failures.length > 0) sample.checkFailures = out.failures
      batcher.push(sample)
      if (out.next === null || stopping) {
        settled()
        return
      }
      if (out.thinkMs <= 0) {
        sendStep(it, done)
        return
      }
      const timer = setTimeout(() => {
        thinking.delete(timer)
        if (stopping) settled()
        else sendStep(it, done + out.thinkMs)
      }, out.thinkMs)
      thinking.set(timer, settled)
    }

    monitor.start()
    const startPerf = performance.now()
    const startWall = Date.now()
    let endPerf = startPerf

    const fire = (offsetMs: number, now: number): void => {
      const intendedPerf = startPerf + offsetMs
      recordMs(lag, now - intendedPerf)
      const epochMs = startWall + offsetMs
      if (http) {
        const it = http.begin()
        if (!(it instanceof HttpIteration)) {
          batcher.push({ epochMs, op: it.op, status: 0, latencyMs: 0, serviceLatencyMs: 0, error: it.error })
          return
        }
        if (inFlight >= maxInFlight) {
          dropped++
          batcher.push({ epochMs, op: it.current.op, status: 0, latencyMs: 0, serviceLatencyMs: 0, dropped: true, error: 'dropped' })
          return
        }
        inFlight++
        if (inFlight > maxInFlightSeen) maxInFlightSeen = inFlight
        sendStep(it, intendedPerf)
        return
      }
      const spec = gen!.next()
      if (inFlight >= maxInFlight) {
        dropped++
        batcher.push({ epochMs, op: spec.op, status: 0, latencyMs: 0, serviceLatencyMs: 0, dropped: true, error: 'dropped' })
        return
      }
      inFlight++
      sent++
      if (inFlight > maxInFlightSeen) maxInFlightSeen = inFlight
      const payload =
        spec.body === undefined
          ? `${spec.method} ${spec.path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`
          : `${spec.method} ${spec.path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(spec.body)}\r\n\r\n${spec.body}`
      // sentPerf is set when a socket takes the request (at once, unless the engine was given fewer connections than maxInFlight).
      pool.send(payload, gen!.needsBody(spec), { spec, op: spec.op, intendedPerf, sentPerf: intendedPerf, epochMs })
    }

    // Per-second progress with the rate the whole plan aimed for in the second that ended.
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
      let endTimer: NodeJS.Timeout | undefined
      let next = schedule.next()
      // The arrival before `next` (ms): whether the engine polls before `next` depends on the gap (see SPIN_MIN_GAP_MS).
      let previousArrival = Number.NEGATIVE_INFINITY
      const finish = (): void => {
        if (stopping) return
        stopping = true
        endPerf = performance.now()
        if (endTimer) clearTimeout(endTimer)
        // Iterations thinking before their next step end here (their next step is not sent).
        for (const [timer, settle] of thinking) {
          clearTimeout(timer)
          settle()
        }
        thinking.clear()
        clock.close()
        ctx.signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        notes.push(`aborted after ${((performance.now() - startPerf) / 1000).toFixed(1)} s of ${schedule.totalS} s`)
        finish()
      }
      const fireDue = (): number => {
        let now = performance.now()
        // Fire everything that is due; wake-ups are late sometimes, the schedule is not.
        while (next !== null && startPerf + next <= now) {
          fire(next, now)
          previousArrival = next
          next = schedule.next()
          now = performance.now()
        }
        return now
      }
      const pump = (): void => {
        if (stopping) return
        clock.disarm()
        const now = fireDue()
        if (next === null) {
          // The plan's last arrival went out; the measured phase is the planned length (the end timer ends it).
          if (startPerf + schedule.totalS * 1000 <= now) finish()
          return
        }
        // The clock wakes the engine WAKE_LEAD_MS ahead of an arrival (one at least
        // SPIN_MIN_GAP_MS after the previous), so such an arrival closer than that may have had
        // its wake-up already (while the engine was busy): take it on the next turns of the event
        // loop, which also times it to a few microseconds while responses still get in between.
        // Otherwise the clock will wake the engine (at a dense arrival's own time).
        const lead = next - previousArrival >= SPIN_MIN_GAP_MS ? WAKE_LEAD_MS : 0
        if (!clock.arm(startPerf + next - lead)) setImmediate(pump)
      }
      if (ctx.signal.aborted) {
        onAbort()
        return
      }
      ctx.signal.addEventListener('abort', onAbort, { once: true })
      // The phase ends at its planned length, by this timer. It also fires whatever is still due
      // then (every arrival, by then), so no lost wake-up of the clock can keep a phase from
      // ending. A timer can run early (Node counts from the event loop's cached time): it comes
      // back until the plan is over.
      const end = (): void => {
        pump()
        if (!stopping) endTimer = setTimeout(end, Math.max(1, startPerf + schedule.totalS * 1000 - performance.now()))
      }
      endTimer = setTimeout(end, Math.max(0, startPerf + schedule.totalS * 1000 - performance.now()))
      clock.begin(startPerf, pump)
      pump()
    })
    clearInterval(ticker)
    // The interval and the end of the plan race at the last whole second: report it either way.
    while (tickSecond < Math.floor((endPerf - startPerf) / 1000 + 0.05)) tick()
    const openedDuringRun = pool.opened - openedBefore

    // Let in-flight requests finish: they time out by themselves after requestTimeoutMs.
    const grace = ctx.signal.aborted ? Math.min(ABORT_GRACE_MS, w.requestTimeoutMs) : w.requestTimeoutMs + 1000
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
    pool.close()
    const durationS = (endPerf - startPerf) / 1000
    this.previous = { maxInFlight: maxInFlightSeen, peakRate: peakRate(load) / segment.count }
    if (openedDuringRun > 0)
      notes.push(
        `${openedDuringRun} connection(s) were opened during the measured phase (${warm} were opened before it): the first request on each includes a TCP handshake`,
      )
    const scheduleLag: ScheduleLag = { p50Ms: percentileMs(lag, 50), p99Ms: percentileMs(lag, 99), maxMs: maxMs(lag), histogram: encodeHistogram(lag) }
    return {
      engine: 'native',
      durationS,
      sent,
      dropped,
      maxInFlight: maxInFlightSeen,
      generatorCpu: health.cpu,
      eventLoopLagP99Ms: health.eventLoopLagP99Ms,
      scheduleLag,
      connections: { warm, openedDuringRun },
      notes,
    }
  }
}
