import type { EventEmitter } from 'node:events'
import autocannon from 'autocannon'
import type { Workload } from '../workload/workload.js'
import type { EngineSummary, Sample } from '../metrics/sample.js'
import { GeneratorMonitor } from '../metrics/generator-monitor.js'
import { createRequestGenerator, JSON_HEADERS, type RequestSpec } from '../workload/request-generator.js'
import type { EngineContext, ExecutionStep, LoadEngine } from './load-engine.js'
import { SampleBatcher } from './sample-batcher.js'

// The closed model on autocannon: `connections` clients each send a request, wait for its
// response, send the next. Every request is drawn from the workload's generator (operation mix
// and key popularity) through autocannon's `setupRequest`.
//
// autocannon does not say which request a response belongs to, so each client keeps a FIFO of
// what it sent (HTTP/1.1 answers in order on a connection, also when pipelining):
// - `setupClient` gives us each client; its 'request' event fires right before autocannon
//   builds (setupRequest) and writes the next request, so the spec setupRequest draws is
//   pushed on that client's FIFO. The client's first request is built in its constructor,
//   before setupClient, and is claimed there.
// - `onResponse` (status, body, headers) runs synchronously right before the client's
//   'response' event, which pops the FIFO and emits the sample.
// - 'timeout' and 'connError' turn the requests outstanding on the broken connection into
//   status-0 samples.
// Latency is measured by us from the write (same tick as setupRequest) to the response; for a
// closed model latencyMs == serviceLatencyMs (a closed model cannot correct coordinated
// omission: a stalled server simply receives fewer requests, which the report notes).
// Known gap: when the server closes a keep-alive connection gracefully, autocannon re-sends on a
// new one without an event; the request lost on the old connection is then not recorded.

type ClosedLoad = Extract<Workload['load'], { model: 'closed' }>

interface Outstanding { spec: RequestSpec; sentPerf: number }
interface ClientState { fifo: Outstanding[]; first: Outstanding | undefined }

function closedLoad(w: Workload): ClosedLoad {
  if (w.load.model !== 'closed') throw new Error(`the autocannon engine drives load.model 'closed', got '${w.load.model}'; use the open engine for arrival rates`)
  const l = w.load
  if (!(Number.isInteger(l.connections) && l.connections >= 1)) throw new Error(`load.connections must be an integer >= 1, got ${l.connections}`)
  if (!(l.durationS > 0)) throw new Error(`load.durationS must be > 0 seconds, got ${l.durationS}`)
  if (l.pipelining !== undefined && !(Number.isInteger(l.pipelining) && l.pipelining >= 1)) throw new Error(`load.pipelining must be an integer >= 1, got ${l.pipelining}`)
  return l
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined
  const v = headers[name] ?? headers[name.toLowerCase()] ?? headers[name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase())]
  return typeof v === 'string' ? v : undefined
}

export class AutocannonEngine implements LoadEngine {
  readonly name = 'autocannon' as const

  plan(w: Workload): ExecutionStep[] {
    const l = closedLoad(w)
    const pipe = l.pipelining && l.pipelining > 1 ? `, pipelining ${l.pipelining}` : ''
    return [{ startS: 0, durationS: l.durationS, connections: l.connections, description: `${l.connections} connections for ${l.durationS} s (closed model${pipe})` }]
  }

  async run(w: Workload, target: URL, ctx: EngineContext): Promise<EngineSummary> {
    const load = closedLoad(w)
    const pipelining = load.pipelining ?? 1
    const gen = createRequestGenerator(w, ctx.dataset, ctx.versions)
    const batcher = new SampleBatcher(ctx.sink)
    const monitor = new GeneratorMonitor()
    const notes: string[] = []
    let sent = 0
    let finished = false
    let activeClient: ClientState | undefined
    let unclaimed: Outstanding | undefined
    let pending: { body: string; headers: Record<string, unknown> | undefined } | undefined

    if (ctx.signal.aborted) {
      return { engine: 'autocannon', durationS: 0, sent: 0, dropped: 0, maxInFlight: 0, generatorCpu: 0, eventLoopLagP99Ms: 0, notes: ['aborted before start'] }
    }

    monitor.start()
    const startPerf = performance.now()
    const startWall = Date.now()
    const wallOf = (perf: number): number => startWall + (perf - startPerf)

    const failOutstanding = (o: Outstanding, error: string): void => {
      if (finished) return
      const latency = performance.now() - o.sentPerf
      batcher.push({ t: wallOf(o.sentPerf), op: o.spec.op, status: 0, latencyMs: latency, serviceLatencyMs: latency, error })
    }

    const setupClient = (client: autocannon.Client): void => {
      const state: ClientState = { fifo: [], first: unclaimed }
      unclaimed = undefined
      // reqsMade is autocannon's per-client count of requests written so far.
      const made = (): number => (client as unknown as { reqsMade: number }).reqsMade
      // 'request', 'timeout' and 'connError' are emitted by autocannon's Client (its run loop
      // listens to them) but missing from its type declarations.
      const events = client as unknown as EventEmitter
      events.on('request', () => {
        sent++
        if (made() === 0) {
          if (state.first) state.fifo.push({ spec: state.first.spec, sentPerf: performance.now() })
          state.first = undefined
        } else activeClient = state // the setupRequest call that follows belongs to this client
      })
      client.on('response', (status: number) => {
        const o = state.fifo.shift()
        const res = pending
        pending = undefined
        if (!o || finished) return
        const done = performance.now()
        const staleRead = gen.observe(o.spec, status, gen.needsBody(o.spec) ? res?.body : undefined)
        const sample: Sample = {
          t: wallOf(o.sentPerf),
          op: o.spec.op,
          status,
          latencyMs: done - o.sentPerf,
          serviceLatencyMs: done - o.sentPerf,
          backend: header(res?.headers, 'x-backend') ?? header(res?.headers, 'x-replica'),
          staleRead,
        }
        batcher.push(sample)
      })
      events.on('timeout', () => {
        // autocannon reconnects and re-sends `pipelining` new requests before emitting this.
        while (state.fifo.length > pipelining) failOutstanding(state.fifo.shift()!, 'timeout')
      })
      events.on('connError', (err: unknown) => {
        const code = (err as { code?: unknown } | null)?.code
        for (const o of state.fifo.splice(0)) failOutstanding(o, typeof code === 'string' ? code : 'connection error')
      })
    }

    const request = {
      setupRequest: (req: autocannon.Request): autocannon.Request => {
        const spec = gen.next()
        const o: Outstanding = { spec, sentPerf: performance.now() }
        if (activeClient) {
          activeClient.fifo.push(o)
          activeClient = undefined
        } else unclaimed = o
        return { ...req, method: spec.method, path: spec.path, body: spec.body ?? '', headers: spec.body === undefined ? {} : { ...JSON_HEADERS } }
      },
      onResponse: (_status: number, body: string, _context: object, headers: autocannon.Request['headers']) => {
        pending = { body, headers: headers as Record<string, unknown> | undefined }
      },
    }

    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      let instance: autocannon.Instance
      const onAbort = (): void => {
        notes.push(`aborted after ${((performance.now() - startPerf) / 1000).toFixed(1)} s of ${load.durationS} s`)
        instance.stop()
      }
      try {
        instance = autocannon(
          {
            url: target.origin,
            connections: load.connections,
            pipelining,
            duration: load.durationS,
            timeout: w.requestTimeoutMs / 1000,
            requests: [request],
            setupClient,
          },
          (err, res) => {
            ctx.signal.removeEventListener('abort', onAbort)
            if (err) reject(err instanceof Error ? err : new Error(String(err)))
            else resolve(res)
          },
        )
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)))
        return
      }
      ctx.signal.addEventListener('abort', onAbort, { once: true })
      instance.on('tick', () => {
        try {
          ctx.onTick?.({ elapsedS: (performance.now() - startPerf) / 1000, totalS: load.durationS })
        } catch {
          // progress display problems must not stop the load
        }
      })
    })
    finished = true
    const endPerf = performance.now()
    batcher.flush()
    const health = monitor.stop()
    if (result.errors > 0) notes.push(`autocannon counted ${result.errors} connection error(s) or timeout(s) (${result.timeouts} timeouts)`)
    return {
      engine: 'autocannon',
      durationS: (endPerf - startPerf) / 1000,
      sent,
      dropped: 0,
      maxInFlight: load.connections * pipelining,
      generatorCpu: health.cpu,
      eventLoopLagP99Ms: health.eventLoopLagP99Ms,
      notes,
    }
  }
}
