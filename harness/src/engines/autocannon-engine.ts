import type { EventEmitter } from 'node:events'
import net from 'node:net'
import autocannon from 'autocannon'
import type { Workload } from '../workload/workload.js'
import type { EngineSummary, Sample } from '../metrics/sample.js'
import { GeneratorMonitor } from '../metrics/generator-monitor.js'
import { createRequestGenerator, type RequestSpec } from '../workload/request-generator.js'
import type { EngineContext, ExecutionStep, LoadEngine } from './load-engine.js'
import { SampleBatcher } from './sample-batcher.js'
import { errorLabel } from './error-label.js'
import { shareOf, WHOLE_LOAD } from '../workload/execution-segment.js'
import { VirtualUsers } from './virtual-users.js'

// The closed model on autocannon: `connections` clients each send a request, wait for its
// response, send the next. Every request is drawn from the workload's generator (operation mix
// and key popularity).
//
// Why not autocannon's `setupRequest`: it rebuilds each request through autocannon's generic
// request builder (object merges, header handling), which doubled the generator's CPU per
// request in `make bench` and made LoadLab the bottleneck. Instead `setupClient` (public)
// gives us each client, and we replace two methods of its request iterator (internal, checked
// below, autocannon 8): `nextRequest`, with one that draws the next request and serializes it
// directly, and `recordBody`, which the client calls with every response's status and body
// right before its 'response' event (a listener of our own would make every emit copy the
// listener list). Every drawn request is pushed on the client's FIFO at the moment it is
// written; HTTP/1.1 answers in order on a connection (also when pipelining), so each response
// pops the FIFO. The body is only looked at when the run writes (ids, versions, stale reads).
// When autocannon replaces a connection, the requests outstanding on the old one get no answer:
// after a timeout or a connection error ('connError': reset, refused) they become status-0
// samples; after the server closed the connection gracefully (keep-alive limit, e.g. nginx's
// keepalive_requests) autocannon had already written the next request onto the closing socket,
// which is a client artefact, so that request is not recorded (counted in the summary notes).
// Latency is measured by us from the write to the response; for a closed model latencyMs ==
// serviceLatencyMs (a closed model cannot correct coordinated omission: a stalled server simply
// receives fewer requests, which the report notes).
//
// Warm start: prepare() opens every connection before the measured phase, and each client's
// first connect takes one of them instead of dialling (autocannon has no option for a given
// socket: its _connect calls net.connect, which we answer with the open socket for that one
// synchronous call). Reconnects during the run are counted and reported.
//
// HTTP workloads (the user's own service, flows with think time and extracted values) run on
// virtual users instead (virtual-users.ts explains why autocannon cannot drive them).

type ClosedLoad = Extract<Workload['load'], { model: 'closed' }>

interface Outstanding {
  spec: RequestSpec
  sentPerf: number
}

/** What autocannon's Client keeps of the request being written, and its iterator (internal shapes, autocannon 8). */
interface IteratorRequest {
  requestBuffer: Buffer
}
interface RequestIteratorInternals {
  currentRequest: IteratorRequest
  resetted: boolean
  nextRequest(): IteratorRequest
  recordBody(request: unknown, status: number, body: string): void
}

function serialize(spec: RequestSpec, host: string): Buffer {
  if (spec.body === undefined) return Buffer.from(`${spec.method} ${spec.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n\r\n`)
  return Buffer.from(
    `${spec.method} ${spec.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(spec.body)}\r\n\r\n${spec.body}`,
  )
}

/** Requests without a body repeat (hot keys above all), so their bytes are built once per run: one allocation and encoding less per request. */
const MAX_CACHED_REQUESTS = 20_000

function requestCache(host: string): (spec: RequestSpec) => Buffer {
  const cache = new Map<string, Buffer>()
  return (spec) => {
    if (spec.body !== undefined) return serialize(spec, host)
    // Every request without a body is a GET: its path is the key.
    let bytes = cache.get(spec.path)
    if (!bytes) {
      bytes = serialize(spec, host)
      if (cache.size < MAX_CACHED_REQUESTS) cache.set(spec.path, bytes)
    }
    return bytes
  }
}

function closedLoad(w: Workload): ClosedLoad {
  if (w.load.model !== 'closed')
    throw new Error(`the autocannon engine drives load.model 'closed', got '${w.load.model}'; use the native engine (--engine native) for arrival rates`)
  const l = w.load
  if (!(Number.isInteger(l.connections) && l.connections >= 1)) throw new Error(`load.connections must be an integer >= 1, got ${l.connections}`)
  if (!(l.durationS > 0)) throw new Error(`load.durationS must be > 0 seconds, got ${l.durationS}`)
  if (l.pipelining !== undefined && !(Number.isInteger(l.pipelining) && l.pipelining >= 1))
    throw new Error(`load.pipelining must be an integer >= 1, got ${l.pipelining}`)
  return l
}

/** Opens `count` TCP connections to `target` and resolves once all are connected; rejects with the first connect error. */
async function openSockets(target: URL, count: number, timeoutMs: number): Promise<net.Socket[]> {
  const port = Number(target.port || 80)
  const host = target.hostname.replace(/^\[|\]$/g, '')
  const sockets: net.Socket[] = []
  try {
    await Promise.all(
      Array.from({ length: count }, () => {
        const socket = net.connect(port, host)
        sockets.push(socket)
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`cannot connect to ${target.host}: no connection after ${timeoutMs} ms`)), timeoutMs)
          socket.once('connect', () => {
            clearTimeout(timer)
            resolve()
          })
          socket.once('error', (err) => {
            clearTimeout(timer)
            reject(new Error(`cannot connect to ${target.host}: ${errorLabel(err)}`))
          })
        })
      }),
    )
  } catch (err) {
    for (const s of sockets) s.destroy()
    throw err
  }
  // A warm socket the server closes before a client takes it must not crash the process; the client then reconnects.
  for (const s of sockets) s.on('error', () => undefined)
  return sockets
}

export class AutocannonEngine implements LoadEngine {
  readonly name = 'autocannon' as const
  private warm: { target: string; sockets: net.Socket[] } | null = null
  private readonly users = new VirtualUsers()

  plan(w: Workload): ExecutionStep[] {
    const l = closedLoad(w)
    const pipe = l.pipelining && l.pipelining > 1 ? `, pipelining ${l.pipelining}` : ''
    return [
      { startS: 0, durationS: l.durationS, connections: l.connections, description: `${l.connections} connections for ${l.durationS} s (closed model${pipe})` },
    ]
  }

  /** Opens the run's connections (all of them: the closed model keeps every one busy). */
  async prepare(w: Workload, target: URL, ctx: EngineContext): Promise<void> {
    await this.close()
    const load = closedLoad(w)
    if (w.http) return this.users.prepare(w, target, ctx)
    if (target.protocol !== 'http:') return // autocannon dials TLS itself
    const sockets = await openSockets(target, shareOf(load.connections, ctx.segment ?? WHOLE_LOAD), Math.min(w.requestTimeoutMs, 10_000))
    this.warm = { target: target.href, sockets }
  }

  /** Closes warm connections a run did not take. */
  async close(): Promise<void> {
    for (const s of this.warm?.sockets ?? []) s.destroy()
    this.warm = null
    await this.users.close()
  }

  async run(w: Workload, target: URL, ctx: EngineContext): Promise<EngineSummary> {
    const load = closedLoad(w)
    if (w.http) return this.users.run(w, target, ctx)
    const pipelining = load.pipelining ?? 1
    const connections = shareOf(load.connections, ctx.segment ?? WHOLE_LOAD)
    if (connections === 0)
      throw new Error(`${load.connections} connection(s) cannot be shared by ${ctx.segment?.count} load agents: use at most ${load.connections} agents`)
    const gen = createRequestGenerator(w, ctx.dataset, ctx.versions, { emailTag: ctx.emailTag, stream: ctx.segment?.index ?? 0 })
    if (ctx.signal.aborted) {
      await this.close()
      return { engine: 'autocannon', durationS: 0, sent: 0, dropped: 0, maxInFlight: 0, generatorCpu: 0, eventLoopLagP99Ms: 0, notes: ['aborted before start'] }
    }
    if (this.warm?.target !== target.href) await this.prepare(w, target, ctx)
    const warmSockets = this.warm?.sockets ?? []
    this.warm = null
    const warmCount = warmSockets.length
    let openedDuringRun = 0
    const batcher = new SampleBatcher(ctx.sink)
    const monitor = new GeneratorMonitor()
    const notes: string[] = []
    let sent = 0
    let finished = false
    let closedUnanswered = 0
    // Bodies are read only when the generator needs them; a read-only run never looks at them.
    const needsBodies = ctx.versions.size > 0 || (w.mix.create_customer ?? 0) > 0 || (w.mix.update_customer ?? 0) > 0
    const requestBytes = requestCache(target.host)

    if (w.requestTimeoutMs < 1000) notes.push(`requestTimeoutMs ${w.requestTimeoutMs} raised to 1000 ms: autocannon cannot time requests out sooner`)

    monitor.start()
    const startPerf = performance.now()
    const startWall = Date.now()
    const wallOf = (perf: number): number => startWall + (perf - startPerf)

    const failOutstanding = (o: Outstanding, error: string): void => {
      if (finished) return
      const latency = performance.now() - o.sentPerf
      batcher.push({ epochMs: wallOf(o.sentPerf), op: o.spec.op, status: 0, latencyMs: latency, serviceLatencyMs: latency, error })
    }

    const setupClient = (client: autocannon.Client): void => {
      const it = (client as unknown as { requestIterator?: RequestIteratorInternals }).requestIterator
      const hooks = client as unknown as Record<string, unknown>
      if (
        !it ||
        typeof it.nextRequest !== 'function' ||
        typeof it.recordBody !== 'function' ||
        !it.currentRequest ||
        typeof hooks._connect !== 'function' ||
        typeof hooks._destroyConnection !== 'function'
      ) {
        throw new Error('the installed autocannon does not have the client internals this engine was built for (autocannon 8); pin autocannon@8')
      }
      const fifo: Outstanding[] = []
      const draw = (): IteratorRequest => {
        const spec = gen.next()
        sent++
        fifo.push({ spec, sentPerf: performance.now() })
        return { requestBuffer: requestBytes(spec) }
      }
      // The first request is written by the constructor right after setupClient returns; the
      // next ones by _doRequest right after nextRequest().
      it.currentRequest = draw()
      it.nextRequest = function nextRequest(this: RequestIteratorInternals) {
        this.resetted = false
        this.currentRequest = draw()
        return this.currentRequest
      }
      it.recordBody = (_request, status, body) => {
        const o = fifo.shift()
        if (!o || finished) return
        const done = performance.now()
        const sample: Sample = {
          epochMs: wallOf(o.sentPerf),
          op: o.spec.op,
          status,
          latencyMs: done - o.sentPerf,
          serviceLatencyMs: done - o.sentPerf,
          staleRead: needsBodies ? gen.observe(o.spec, status, body) : undefined,
        }
        batcher.push(sample)
      }
      // Every reconnect goes through _connect (internal): timeout (after _destroyConnection),
      // connError (after its event, which already failed the outstanding requests) and a graceful
      // close ('end', no event at all). The first call, from the constructor, has no old connection.
      const internals = client as unknown as { conn?: unknown; _connect(): void; _destroyConnection(): void }
      let destroyedForTimeout = false
      const destroyConnection = internals._destroyConnection
      internals._destroyConnection = function (this: typeof internals) {
        destroyedForTimeout = true // only handleTimeout, reconnectRate (unused) and destroy() call it
        destroyConnection.call(this)
      }
      const connect = internals._connect
      internals._connect = function (this: typeof internals) {
        if (this.conn !== undefined && fifo.length > 0) {
          const lost = fifo.splice(0)
          if (destroyedForTimeout) for (const o of lost) failOutstanding(o, 'timeout')
          else if (!finished) closedUnanswered += lost.length
        }
        destroyedForTimeout = false
        const socket = this.conn === undefined ? warmSockets.pop() : undefined
        if (!socket || socket.destroyed) {
          if (!finished) openedDuringRun++
          connect.call(this)
          return
        }
        socket.removeAllListeners('error')
        const dial = net.connect
        net.connect = (() => socket) as typeof net.connect
        try {
          connect.call(this)
        } finally {
          net.connect = dial
        }
      }
      // 'connError' is emitted by autocannon's Client (its run loop listens to it) but missing from its type declarations.
      const events = client as unknown as EventEmitter
      events.on('connError', (err: unknown) => {
        const label = errorLabel(err)
        for (const o of fifo.splice(0)) failOutstanding(o, label)
      })
    }

    const done = new Promise<void>((resolve, reject) => {
      let instance: autocannon.Instance
      const onAbort = (): void => {
        notes.push(`aborted after ${((performance.now() - startPerf) / 1000).toFixed(1)} s of ${load.durationS} s`)
        instance.stop()
      }
      try {
        instance = autocannon(
          {
            url: target.origin,
            // Replaced per client in setupClient; autocannon builds this one once and never sends it.
            method: 'GET',
            connections,
            pipelining,
            duration: load.durationS,
            // autocannon refuses timeouts under 1 s (noted in the summary when clamped).
            timeout: Math.max(1, w.requestTimeoutMs / 1000),
            setupClient,
          },
          (err) => {
            ctx.signal.removeEventListener('abort', onAbort)
            if (err) reject(err instanceof Error ? err : new Error(String(err)))
            else resolve()
          },
        )
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)))
        return
      }
      ctx.signal.addEventListener('abort', onAbort, { once: true })
      let tickSecond = 0
      instance.on('tick', () => {
        try {
          ctx.onTick?.({ elapsedS: (performance.now() - startPerf) / 1000, totalS: load.durationS, second: tickSecond++ })
        } catch {
          // progress display problems must not stop the load
        }
      })
    })
    try {
      await done
    } catch (err) {
      monitor.stop()
      for (const s of warmSockets) s.destroy()
      throw err
    }
    finished = true
    for (const s of warmSockets) s.destroy()
    const endPerf = performance.now()
    batcher.flush()
    const health = monitor.stop()
    if (openedDuringRun > 0)
      notes.push(
        `${openedDuringRun} connection(s) were opened during the measured phase (${warmCount} were opened before it): the first request on each includes a TCP handshake`,
      )
    if (closedUnanswered > 0)
      notes.push(
        `${closedUnanswered} request(s) were written on connections the server was closing (keep-alive limit) and re-sent on new ones; they are not recorded`,
      )
    return {
      engine: 'autocannon',
      durationS: (endPerf - startPerf) / 1000,
      sent,
      dropped: 0,
      maxInFlight: connections * pipelining,
      generatorCpu: health.cpu,
      eventLoopLagP99Ms: health.eventLoopLagP99Ms,
      connections: { warm: warmCount, openedDuringRun },
      notes,
    }
  }
}
