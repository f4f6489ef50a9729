import type { Workload } from '../workload/workload.js'
import type { EngineSummary } from '../metrics/sample.js'
import { GeneratorMonitor } from '../metrics/generator-monitor.js'
import { HttpIteration, HttpRequestStream } from '../workload/http-request-stream.js'
import type { EngineContext } from './load-engine.js'
import { ConnectionPool } from './connection-pool.js'
import { shareOf, WHOLE_LOAD } from '../workload/execution-segment.js'
import { SampleBatcher } from './sample-batcher.js'

// The closed model for HTTP workloads: `connections` virtual users, each looping over flow
// iterations - send a step, wait for its answer, think, send the next step, then begin the next
// iteration. Why not autocannon here (it drives CRM workloads): autocannon writes a
// connection's next request the moment a response arrives, so there is no place for think time,
// and a step whose path or headers come from the previous response needs that response parsed
// first. Each user has its own keep-alive connection (the pool never has more in flight than
// users), opened before the measured phase. Latency is measured from the write, as for every
// closed model (latencyMs == serviceLatencyMs).

type ClosedLoad = Extract<Workload['load'], { model: 'closed' }>

interface Tag {
  it: HttpIteration
  op: string
  sentPerf: number
}

const END_GRACE_EXTRA_MS = 1000

export class VirtualUsers {
  private warm: { target: string; index: number; pool: ConnectionPool<Tag>; hooks: Hooks } | null = null

  /** Opens one connection per virtual user of this slice before the measured phase. */
  async prepare(w: Workload, target: URL, ctx: EngineContext): Promise<void> {
    await this.close()
    const load = w.load as ClosedLoad
    const users = shareOf(load.connections, ctx.segment ?? WHOLE_LOAD)
    const hooks: Hooks = { response: () => undefined, error: () => undefined }
    const pool = new ConnectionPool<Tag>(
      target,
      { maxConnections: Math.max(1, users), timeoutMs: w.requestTimeoutMs },
      {
        onWrite: (tag) => {
          tag.sentPerf = performance.now()
        },
        onResponse: (tag, status, body, headers) => hooks.response(tag, status, body, headers),
        onError: (tag, error) => hooks.error(tag, error),
      },
    )
    try {
      await pool.warm(users, Math.min(w.requestTimeoutMs, 10_000))
    } catch (err) {
      pool.close()
      throw err
    }
    this.warm = { target: target.href, index: ctx.segment?.index ?? 0, pool, hooks }
  }

  async close(): Promise<void> {
    this.warm?.pool.close()
    this.warm = null
  }

  async run(w: Workload, target: URL, ctx: EngineContext): Promise<EngineSummary> {
    const load = w.load as ClosedLoad
    const segment = ctx.segment ?? WHOLE_LOAD
    const users = shareOf(load.connections, segment)
    if (users === 0)
      throw new Error(`${load.connections} connection(s) cannot be shared by ${segment.count} load agents: use at most ${load.connections} agents`)
    if (!(this.warm && this.warm.target === target.href && this.warm.index === segment.index)) await this.prepare(w, target, ctx)
    const { pool, hooks } = this.warm!
    this.warm = null
    const openedBefore = pool.opened
    const stream = new HttpRequestStream(w.http!, { host: target.host, seed: w.seed, segment })
    const batcher = new SampleBatcher(ctx.sink)
    const monitor = new GeneratorMonitor()
    const notes: string[] = []
    const thinking = new Set<NodeJS.Timeout>()
    let active = 0
    let sent = 0
    let stopping = false
    let idle: (() => void) | undefined

    const userDone = (): void => {
      active--
      if (active === 0) idle?.()
    }
    const send = (it: HttpIteration): void => {
      sent++
      const r = it.current
      pool.send(r.payload, r.wantBody, { it, op: r.op, sentPerf: performance.now() }, r.wantHeaders)
    }
    // A user's next iteration; a user whose unique data ran out stops (recorded once as a failed request).
    const loop = (): void => {
      if (stopping) {
        userDone()
        return
      }
      const it = stream.begin()
      if (!(it instanceof HttpIteration)) {
        batcher.push({ epochMs: Date.now(), op: it.op, status: 0, latencyMs: 0, serviceLatencyMs: 0, error: it.error })
        userDone()
        return
      }
      send(it)
    }
    const answered = (tag: Tag, status: number, body: string | undefined, headers: string[] | undefined, error?: string): void => {
      const done = performance.now()
      const out = tag.it.respond(status, body, headers)
      if (!stopping) {
        const latency = done - tag.sentPerf
        batcher.push({
          epochMs: startWall + (tag.sentPerf - startPerf),
          op: tag.op,
          status,
          latencyMs: latency,
          serviceLatencyMs: latency,
          ...(error === undefined ? {} : { error }),
          ...(out.checksPassed + out.checksFailed > 0 ? { checksPassed: out.checksPassed, checksFailed: out.checksFailed } : {}),
          ...(out.failures.length > 0 ? { checkFailures: out.failures } : {}),
        })
      }
      if (stopping) userDone()
      else if (out.next === null) loop()
      else if (out.thinkMs <= 0) send(tag.it)
      else {
        const timer = setTimeout(() => {
          thinking.delete(timer)
          if (stopping) userDone()
          else send(tag.it)
        }, out.thinkMs)
        thinking.add(timer)
      }
    }
    hooks.response = (tag, status, body, headers) => answered(tag, status, body, headers)
    hooks.error = (tag, error) => answered(tag, 0, undefined, undefined, error)

    monitor.start()
    const startPerf = performance.now()
    const startWall = Date.now()
    let tickSecond = 0
    const ticker = setInterval(() => {
      try {
        ctx.onTick?.({ elapsedS: (performance.now() - startPerf) / 1000, totalS: load.durationS, second: tickSecond++ })
      } catch {
        // progress display problems must not stop the load
      }
    }, 1000)
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(endTimer)
        ctx.signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        notes.push(`aborted after ${((performance.now() - startPerf) / 1000).toFixed(1)} s of ${load.durationS} s`)
        finish()
      }
      const endTimer = setTimeout(finish, load.durationS * 1000)
      if (ctx.signal.aborted) return onAbort()
      ctx.signal.addEventListener('abort', onAbort, { once: true })
      active = users
      for (let i = 0; i < users; i++) loop()
    })
    const endPerf = performance.now()
    stopping = true
    clearInterval(ticker)
    for (const timer of thinking) {
      clearTimeout(timer)
      userDone()
    }
    thinking.clear()
    // Requests in flight at the end are answered (not recorded) or time out by themselves.
    if (active > 0) {
      const grace = ctx.signal.aborted ? 1000 : w.requestTimeoutMs + END_GRACE_EXTRA_MS
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, grace)
        idle = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
    batcher.flush()
    const health = monitor.stop()
    const openedDuringRun = pool.opened - openedBefore
    pool.close()
    if (openedDuringRun > 0)
      notes.push(
        `${openedDuringRun} connection(s) were opened during the measured phase (${users} were opened before it): the first request on each includes a TCP handshake`,
      )
    return {
      engine: 'autocannon',
      durationS: (endPerf - startPerf) / 1000,
      sent,
      dropped: 0,
      maxInFlight: users,
      generatorCpu: health.cpu,
      eventLoopLagP99Ms: health.eventLoopLagP99Ms,
      connections: { warm: users, openedDuringRun },
      notes,
    }
  }
}

interface Hooks {
  response(tag: Tag, status: number, body: string | undefined, headers: string[] | undefined): void
  error(tag: Tag, error: string): void
}
