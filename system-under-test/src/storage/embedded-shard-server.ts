import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { z } from 'zod'
import { checkAdminRequest } from '../admin/admin-guard.js'
import { newAdminToken } from '../admin/admin-token.js'
import type { CapacityOptions } from '../capacity/capacity-model.js'
import { createCapacityModel } from '../capacity/create-capacity-model.js'
import { SHARD_METRICS } from '../contract/metric-names.js'
import { closeServer, listen } from '../http/listen.js'
import { MemoryShardStore } from './memory-shard-store.js'
import { DuplicateCustomerIdError, UnknownCustomerError } from './shard-errors.js'
import { MAX_RPC_BODY_BYTES, RPC_ARGS, RPC_OPS, rpcBodySchema, type RpcErrorBody, type RpcOp } from './shard-rpc.js'
import { isChangeFeedSource, type ShardStore } from './shard-store.js'
import { createPublisher } from '../sync/brokers/connect-broker.js'
import { OutboxPublisher } from '../sync/outbox-publisher.js'

// The embedded shard server: one shard's MemoryShardStore behind a small JSON RPC over HTTP
// (protocol in shard-rpc.ts), one process per shard. Plain node:http rather than express: every
// cache miss of every replica comes through here, and routing is a single table lookup.
// RPC calls pass the capacity model first (so a shard can be made the bottleneck); /health,
// /ready, /metrics and /admin never wait for it.

export interface ShardServerOptions {
  host: string
  /** 0 asks the OS for a free port; read the real one from `url`. */
  port: number
  /** Label on this shard's metrics (`shard="<n>"`). */
  shardIndex: number
  capacity: CapacityOptions
  /** The store to serve; a fresh MemoryShardStore when omitted (tests may pass their own). */
  store?: ShardStore
  /** The token /admin requires (the CLI takes it from LOADLAB_ADMIN_TOKEN); a random one when omitted. */
  adminToken?: string
  /** Broker URL (amqp://... or kafka://host:port) the outbox publisher drains this shard's change feed to (sync strategy queue-push); none when omitted. */
  publishTo?: string
  /** Changes per publish (default 256). */
  publishBatch?: number
}

export interface RunningShardServer {
  /** `http://<host>:<port>` with the real port. */
  url: string
  /** The token its /admin routes require (Authorization: Bearer). */
  adminToken: string
  /** Called on shutdown: stops accepting, drops idle keep-alive connections, closes the store. */
  close(): Promise<void>
}

const OPS = new Set<string>(RPC_OPS)
const slowdownBody = z.object({ factor: z.number().positive().finite() })

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { field: string; message: string }[],
    readonly headers?: Record<string, string>,
  ) {
    super(message)
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers })
  res.end(payload)
}

function sendError(res: ServerResponse, status: number, error: RpcErrorBody['error'], headers?: Record<string, string>): void {
  send(res, status, { error }, headers)
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? ''
  if (!type.startsWith('application/json')) throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json')
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_RPC_BODY_BYTES) throw new HttpError(413, 'payload_too_large', `body over ${MAX_RPC_BODY_BYTES} bytes`)
  // Plain 'data' events rather than `for await`: no async iterator per request on the hot path.
  const { chunks, size } = await new Promise<{ chunks: Buffer[]; size: number }>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_RPC_BODY_BYTES) {
        req.removeAllListeners('data')
        req.resume()
        reject(new HttpError(413, 'payload_too_large', `body over ${MAX_RPC_BODY_BYTES} bytes`))
      } else chunks.push(chunk)
    })
    req.once('end', () => resolve({ chunks, size }))
    req.once('error', reject)
  })
  try {
    return JSON.parse(Buffer.concat(chunks, size).toString('utf8'))
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON')
  }
}

function zodDetails(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }))
}

/** Called by the shard CLI (and tests) to serve one shard; resolves once listening. */
export async function startShardServer(opts: ShardServerOptions): Promise<RunningShardServer> {
  const store = opts.store ?? new MemoryShardStore()
  const adminToken = opts.adminToken ?? newAdminToken()
  await store.init()
  const capacity = createCapacityModel(opts.capacity)

  const registry = new Registry()
  registry.setDefaultLabels({ shard: String(opts.shardIndex) })
  const requests = new Counter({ name: SHARD_METRICS.requests, help: 'RPC requests received, by store operation', labelNames: ['op'], registers: [registry] })
  const duration = new Histogram({
    name: SHARD_METRICS.requestDuration,
    help: 'Time from request arrival to response, queueing in the capacity model included',
    labelNames: ['op'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const rejected = new Counter({
    name: SHARD_METRICS.capacityRejected,
    help: 'Requests refused with 503 because the capacity queue was full',
    registers: [registry],
  })
  new Gauge({
    name: SHARD_METRICS.customers,
    help: 'Customers stored on this shard',
    registers: [registry],
    async collect() {
      this.set(await store.countCustomers())
    },
  })
  new Gauge({
    name: SHARD_METRICS.capacityInService,
    help: 'Requests holding a capacity slot',
    registers: [registry],
    collect() {
      this.set(capacity.stats().inService)
    },
  })
  new Gauge({
    name: SHARD_METRICS.capacityQueued,
    help: 'Requests waiting for a capacity slot',
    registers: [registry],
    collect() {
      this.set(capacity.stats().queued)
    },
  })

  let outbox: OutboxPublisher | null = null
  if (opts.publishTo !== undefined) {
    if (!isChangeFeedSource(store)) throw new Error('this shard store keeps no change feed to publish')
    outbox = new OutboxPublisher(store, await createPublisher(opts.publishTo), opts.publishBatch ?? 256, (line) =>
      process.stderr.write(`shard ${opts.shardIndex}: ${line}\n`),
    )
    const stats = outbox.stats.bind(outbox)
    new Gauge({
      name: 'shard_outbox_backlog',
      help: 'Changes in the outbox the broker has not confirmed yet',
      registers: [registry],
      collect() {
        const s = stats()
        this.set(s.head - s.published)
      },
    })
    new Gauge({
      name: 'shard_outbox_published',
      help: 'Feed position the broker confirmed',
      registers: [registry],
      collect() {
        this.set(stats().published)
      },
    })
    new Gauge({
      name: 'shard_outbox_publish_failures',
      help: 'Failed publish attempts since start (each is retried)',
      registers: [registry],
      collect() {
        this.set(stats().failures)
      },
    })
  }

  const call = store as unknown as Record<RpcOp, (...args: unknown[]) => Promise<unknown>>

  async function handleRpc(op: RpcOp, req: IncomingMessage, res: ServerResponse): Promise<void> {
    requests.inc({ op })
    const endTimer = duration.startTimer({ op })
    res.once('close', () => endTimer())
    const body = rpcBodySchema.safeParse(await readJson(req))
    if (!body.success) throw new HttpError(400, 'validation_failed', 'body must be {"args": [...]}', zodDetails(body.error))
    const args = RPC_ARGS[op].safeParse(body.data.args)
    if (!args.success) throw new HttpError(400, 'validation_failed', `arguments of ${op} are not valid`, zodDetails(args.error))

    // The slot is held until the response is done or the client went away, like a worker thread.
    const gone = new AbortController()
    let release: (() => void) | null = null
    res.once('close', () => (release ? release() : gone.abort()))
    const granted = await capacity.admit(gone.signal)
    if (gone.signal.aborted) {
      granted?.()
      return
    }
    if (granted === null) {
      rejected.inc()
      sendError(res, 503, { code: 'overloaded', message: `shard ${opts.shardIndex} is at capacity (queue full): retry after 1 second` }, { 'retry-after': '1' })
      return
    }
    release = granted
    try {
      const result = await call[op].apply(store, args.data)
      send(res, 200, { result: result === undefined ? null : result })
    } catch (error) {
      if (error instanceof UnknownCustomerError) {
        sendError(res, 404, { code: UnknownCustomerError.wireCode, message: error.message, id: error.customerId })
      } else if (error instanceof DuplicateCustomerIdError) {
        sendError(res, 409, { code: DuplicateCustomerIdError.wireCode, message: error.message, id: error.id })
      } else {
        throw error
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0]!
    if (path.startsWith('/rpc/')) {
      const op = path.slice(5)
      if (!OPS.has(op)) throw new HttpError(404, 'not_found', `no RPC operation "${op}": use one of ${RPC_OPS.join(', ')}`)
      if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'RPC operations take POST')
      return handleRpc(op as RpcOp, req, res)
    }
    if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok', shard: opts.shardIndex })
    if (req.method === 'GET' && path === '/ready') return send(res, 200, { status: 'ready', shard: opts.shardIndex })
    if (req.method === 'GET' && path === '/metrics') {
      const text = await registry.metrics()
      res.writeHead(200, { 'content-type': registry.contentType })
      res.end(text)
      return
    }
    if (path.toLowerCase().startsWith('/admin')) {
      const refusal = checkAdminRequest(req, { token: adminToken, boundHost: opts.host })
      if (refusal) throw new HttpError(refusal.status, refusal.code, refusal.message, undefined, { ...refusal.headers, connection: 'close' })
    }
    if (req.method === 'POST' && path === '/admin/slowdown') {
      const body = slowdownBody.safeParse(await readJson(req))
      if (!body.success) throw new HttpError(400, 'validation_failed', 'body must be {"factor": <number > 0>} (1 = normal speed)', zodDetails(body.error))
      capacity.setSlowdown(body.data.factor)
      return send(res, 200, { factor: body.data.factor })
    }
    throw new HttpError(404, 'not_found', `no route ${req.method} ${path}`)
  }

  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      if (error instanceof HttpError) {
        sendError(res, error.status, { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) }, error.headers)
      } else {
        process.stderr.write(`shard ${opts.shardIndex}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
        sendError(res, 500, { code: 'internal', message: error instanceof Error ? error.message : String(error) })
      }
    })
  })
  // Idle keep-alive connections must outlive the clients' own idle timeout (ShardClient: 10 s),
  // so the client is always the side that closes and never writes to a socket being closed.
  server.keepAliveTimeout = 60_000
  server.headersTimeout = 65_000

  const port = await listen(server, opts.port, opts.host)
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host

  let closing: Promise<void> | null = null
  return {
    url: `http://${host}:${port}`,
    adminToken,
    close() {
      closing ??= (async () => {
        // In-flight requests get a moment to finish; then nothing may keep the process alive.
        await closeServer(server, 2000)
        await outbox?.close()
        await store.close()
      })()
      return closing
    },
  }
}
