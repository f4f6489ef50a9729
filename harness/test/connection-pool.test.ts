import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ConnectionPool } from '../src/engines/connection-pool.js'
import { NativeEngine } from '../src/engines/native-engine.js'
import { RunRecorder } from '../src/metrics/run-recorder.js'
import { seedDataset } from '../src/workload/dataset.js'
import { VersionTracker } from '../src/workload/version-tracker.js'
import type { Workload } from '../src/workload/workload.js'
import { StubCrmServer } from './support/stub-crm-server.js'

// The native engine's HTTP/1.1 client: every response read right (length, chunked, end of
// connection), every failure labelled, connections reused, warm ones opened before the run.

type Result = { status: number; body?: string } | { error: string }

const servers: net.Server[] = []
afterEach(() => {
  for (const s of servers.splice(0)) {
    if (s instanceof http.Server) s.closeAllConnections()
    s.close()
  }
})

async function listen(server: net.Server): Promise<URL> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

function pool(url: URL, maxConnections = 4, timeoutMs = 2000) {
  const results = new Map<number, Result>()
  const waiters = new Map<number, () => void>()
  const p = new ConnectionPool<number>(
    url,
    { maxConnections, timeoutMs },
    {
      onWrite: () => undefined,
      onResponse: (tag, status, body) => {
        results.set(tag, { status, body })
        waiters.get(tag)?.()
      },
      onError: (tag, error) => {
        results.set(tag, { error })
        waiters.get(tag)?.()
      },
    },
  )
  const request = (tag: number, path = '/', wantBody = true, extra = ''): Promise<Result> =>
    new Promise((resolve) => {
      waiters.set(tag, () => resolve(results.get(tag)!))
      p.send(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n${extra}\r\n`, wantBody, tag)
    })
  return { pool: p, request }
}

describe('connection pool (the native engine\u2019s HTTP client)', () => {
  it('reads fixed-length, chunked and close-delimited bodies and the status, and reuses connections', async () => {
    let connections = 0
    const server = http.createServer((req, res) => {
      if (req.url === '/chunked') {
        res.writeHead(201, { 'x-backend': 'replica-2' })
        res.write('{"a":')
        setTimeout(() => res.end('1}'), 5)
      } else if (req.url === '/close') {
        res.writeHead(200, { connection: 'close' })
        res.end('bye')
      } else {
        res.writeHead(404, { 'content-length': '5', 'x-replica': 'r1' })
        res.end('nope!')
      }
    })
    server.on('connection', () => connections++)
    const url = await listen(server)
    const { pool: p, request } = pool(url)
    expect(await request(1, '/chunked')).toEqual({ status: 201, body: '{"a":1}' })
    expect(await request(2, '/x')).toEqual({ status: 404, body: 'nope!' })
    expect(await request(3, '/x', false)).toEqual({ status: 404, body: undefined })
    expect(connections).toBe(1)
    expect(await request(4, '/close')).toEqual({ status: 200, body: 'bye' })
    expect(await request(5, '/x')).toMatchObject({ status: 404 })
    expect(connections).toBe(2) // the server closed the first one after /close
    expect(p.opened).toBe(2)
    p.close()
  })

  it('labels failures: refused, reset mid-response, and a response slower than the timeout', async () => {
    const refused = pool(new URL('http://127.0.0.1:9'))
    expect(await refused.request(1)).toEqual({ error: 'ECONNREFUSED' })
    refused.pool.close()

    const raw = net.createServer((socket) => {
      socket.once('data', (d) => {
        if (d.toString().startsWith('GET /reset')) {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial')
          setTimeout(() => socket.resetAndDestroy(), 10)
        }
        // /slow: never answers
      })
    })
    const url = await listen(raw)
    const { pool: p, request } = pool(url, 4, 300)
    expect(await request(2, '/reset')).toEqual({ error: 'ECONNRESET' })
    const began = Date.now()
    expect(await request(3, '/slow')).toEqual({ error: 'timeout' })
    expect(Date.now() - began).toBeGreaterThanOrEqual(300)
    p.close()
  })

  it('queues requests beyond maxConnections and sends each when a connection frees up', async () => {
    const server = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 20))
    const url = await listen(server)
    const { pool: p, request } = pool(url, 2)
    const all = await Promise.all([1, 2, 3, 4, 5].map((i) => request(i)))
    expect(all.every((r) => 'status' in r && r.status === 200)).toBe(true)
    expect(p.opened).toBe(2)
    p.close()
  })

  it('does not reuse a connection past the server\u2019s keep-alive timeout (Keep-Alive: timeout=N)', async () => {
    let connections = 0
    const server = http.createServer((_req, res) => res.end('ok'))
    server.keepAliveTimeout = 1000 // Node announces "Keep-Alive: timeout=1"
    server.on('connection', () => connections++)
    const url = await listen(server)
    const { pool: p, request } = pool(url)
    await request(1)
    // 1 s announced, minus the pool's 1 s margin: the idle connection is already too old to trust.
    await request(2)
    expect(connections).toBe(2)
    p.close()
  })
})

describe('native engine warm start', () => {
  const w = (warm: Workload['load']): Workload => ({
    mix: { get_customer: 1 },
    keys: { kind: 'uniform' },
    datasetSize: 20,
    seed: 1,
    load: warm,
    requestTimeoutMs: 5000,
  })
  let stub: StubCrmServer | undefined
  afterEach(async () => {
    await stub?.close()
    stub = undefined
  })

  async function run(warmConnections: number) {
    stub = new StubCrmServer({ delayMs: 40 })
    const target = await stub.start()
    const workload = w({ model: 'open', rate: 100, durationS: 1, maxInFlight: 50 })
    const signal = new AbortController().signal
    const ctx = { sink: new RunRecorder(Date.now()), signal, dataset: await seedDataset(target, workload, signal), versions: new VersionTracker() }
    const engine = new NativeEngine({ warmConnections })
    const before = stub.stats.connections
    await engine.prepare(workload, target, ctx)
    const warmOpened = stub.stats.connections - before
    const summary = await engine.run(workload, target, ctx)
    return { summary, warmOpened, duringRun: stub.stats.connections - before - warmOpened }
  }

  it('opens the connections before the measured phase and opens none during it when they suffice', async () => {
    // 100 req/s at 40 ms keeps about 4 requests in flight; 30 leave room for a busy machine's stalls.
    const { summary, warmOpened, duringRun } = await run(30)
    expect(warmOpened).toBe(30)
    expect(duringRun).toBe(0)
    expect(summary.connections).toEqual({ warm: 30, openedDuringRun: 0 })
    expect(summary.notes.join(' ')).not.toMatch(/opened during the measured phase/)
  })

  it('grows on demand beyond a low estimate, and says how many connections it opened during the measured phase', async () => {
    const { summary, duringRun } = await run(1)
    expect(duringRun).toBeGreaterThan(0)
    expect(summary.connections).toEqual({ warm: 1, openedDuringRun: duringRun })
    expect(summary.notes.join(' ')).toMatch(new RegExp(`${duringRun} connection\\(s\\) were opened during the measured phase`))
  })

  it('records the schedule lag of every arrival', async () => {
    const { summary } = await run(12)
    const lag = summary.scheduleLag!
    expect(lag.p50Ms).toBeLessThanOrEqual(lag.p99Ms)
    expect(lag.p99Ms).toBeLessThanOrEqual(lag.maxMs)
    const { decodeFromCompressedBase64 } = await import('hdr-histogram-js')
    expect(decodeFromCompressedBase64(lag.histogram!).totalCount).toBe(100)
  })
})
