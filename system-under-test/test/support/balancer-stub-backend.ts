import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * A tiny HTTP backend for balancer tests: answers every path after `delayMs`, counts requests,
 * records the ids of applied writes (`x-request-id` of POST/PUT/PATCH/DELETE), and can be
 * slowed or killed (listener closed and every socket destroyed, like a crashed process).
 */
export interface StubBackend {
  readonly url: string
  /** Requests answered (not counting GET /health). */
  readonly served: number
  /** Request ids of writes this backend applied, in order. */
  readonly appliedWrites: readonly string[]
  /** Responses currently being delayed. */
  readonly inFlight: number
  delayMs: number
  /** When set, every non-health request answers this status. */
  failStatus: number | null
  /** Status GET /health answers (200 by default): lets a test fail and pass active health checks. */
  healthStatus: number
  /** When each GET /health arrived (epoch ms), in order. */
  readonly healthChecks: readonly number[]
  /** Called by a test to simulate a crash: refuse new connections, cut the open ones. */
  kill(): Promise<void>
  close(): Promise<void>
}

export async function startStubBackend(options: { delayMs?: number; port?: number } = {}): Promise<StubBackend> {
  const sockets = new Set<Socket>()
  let served = 0
  let inFlight = 0
  const appliedWrites: string[] = []
  const state = { delayMs: options.delayMs ?? 0, failStatus: null as number | null, healthStatus: 200 }
  const healthChecks: number[] = []
  let url = ''

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.url === '/health') {
        healthChecks.push(Date.now())
        res.writeHead(state.healthStatus, { 'content-type': 'application/json' })
        res.end(state.healthStatus < 400 ? '{"status":"ok"}' : '{"status":"failing"}')
        return
      }
      inFlight++
      const answer = () => {
        inFlight--
        served++
        if (state.failStatus !== null) {
          res.writeHead(state.failStatus, { 'content-type': 'application/json' })
          res.end('{"error":{"code":"stub_failure","message":"stub told to fail","details":[]}}')
          return
        }
        // A write is "applied" when the backend answers it, as a real replica commits before answering.
        if (req.method !== 'GET' && req.method !== 'HEAD') appliedWrites.push(String(req.headers['x-request-id'] ?? ''))
        const body = JSON.stringify({ backend: url, method: req.method, path: req.url, bodyBytes: Buffer.concat(chunks).length })
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json', 'x-stub': url })
        res.end(body)
      }
      if (state.delayMs > 0) setTimeout(answer, state.delayMs)
      else answer()
    })
  })
  server.keepAliveTimeout = 10_000
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    const done = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await done
  }
  return {
    url,
    get served() {
      return served
    },
    get appliedWrites() {
      return appliedWrites
    },
    get inFlight() {
      return inFlight
    },
    get delayMs() {
      return state.delayMs
    },
    set delayMs(ms: number) {
      state.delayMs = ms
    },
    get failStatus() {
      return state.failStatus
    },
    set failStatus(status: number | null) {
      state.failStatus = status
    },
    get healthStatus() {
      return state.healthStatus
    },
    set healthStatus(status: number) {
      state.healthStatus = status
    },
    get healthChecks() {
      return healthChecks
    },
    kill: close,
    close,
  }
}

/** Starts `count` stub backends; the caller closes them (see closeAll). */
export async function startStubBackends(count: number, options: { delayMs?: number } = {}): Promise<StubBackend[]> {
  return Promise.all(Array.from({ length: count }, () => startStubBackend(options)))
}

export async function closeAll(items: readonly { close(): Promise<void> }[]): Promise<void> {
  await Promise.allSettled(items.map((i) => i.close()))
}
