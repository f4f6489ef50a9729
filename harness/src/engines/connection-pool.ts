import net from 'node:net'
import { HTTPParser } from 'http-parser-js'
import { errorLabel } from './error-label.js'

// The native engine's HTTP/1.1 client: keep-alive connections to one origin, one request in
// flight per connection, responses parsed by http-parser-js (autocannon's parser). Why not
// undici: a CPU profile of the native engine put most of its time per request in undici's
// generality (request validation, the pool's scan for a free client, header objects, handler
// wrappers), none of it measurement. This client does only what a load generator needs:
// connections opened BEFORE the measured phase (warm), a free connection in O(1), the
// request written as one string, the status and (when asked) the body read back, a count of
// every connection opened, and request timeouts from one sweep timer instead of a timer per
// request. Plain http: only (https targets are refused when the engine starts).

/** What the engine hears back for each request (the `tag` it passed to send()). */
export interface PoolHooks<T> {
  /** Called when the request is written to a socket (at once, or when a connection frees up). */
  onWrite(tag: T): void
  /** Called with the response: its status, and its body and raw headers ([name, value, ...]) when asked for. */
  onResponse(tag: T, status: number, body: string | undefined, headers: string[] | undefined): void
  /** Called when no response came: 'timeout', 'ECONNREFUSED', 'ECONNRESET', 'closed' (the server closed the connection first), ... */
  onError(tag: T, error: string): void
}

export interface ConnectionPoolOptions {
  /** Connections at most; when all are busy, requests wait in order for the next free one. */
  maxConnections: number
  /** A request without a complete response this long after it was written fails with 'timeout'. */
  timeoutMs: number
}

interface Pending<T> {
  payload: string
  wantBody: boolean
  wantHeaders: boolean
  tag: T
}

const SERVER_KEEP_ALIVE_MARGIN_MS = 1000

class Connection<T> {
  readonly socket: net.Socket
  private readonly parser = new HTTPParser(HTTPParser.RESPONSE)
  /** The request in flight on this connection, if any. */
  current: Pending<T> | null = null
  writtenAt = 0
  /** performance.now() after which the server may already have closed this idle connection. */
  expiresAt = Number.POSITIVE_INFINITY
  connected = false
  dead = false
  private status = 0
  private headers: string[] | undefined
  private chunks: Buffer[] = []
  private keepAlive = true
  private keepAliveMs = 0
  /** Why the socket failed, once it did ('ECONNREFUSED', ...). */
  lastError: string | undefined

  constructor(
    private readonly pool: ConnectionPool<T>,
    port: number,
    host: string,
  ) {
    this.socket = net.connect({ port, host, noDelay: true })
    this.socket.on('connect', () => {
      this.connected = true
      pool.connected(this)
    })
    this.socket.on('data', (chunk: Buffer) => {
      const parsed = this.parser.execute(chunk)
      if (parsed instanceof Error) this.fail(`HPE: ${parsed.message}`)
    })
    this.socket.on('end', () => {
      // A response delimited by the end of the connection (neither length nor chunked) ends here.
      this.parser.finish()
    })
    this.socket.on('error', (err) => {
      this.lastError = errorLabel(err)
    })
    this.socket.on('close', () => this.fail(this.lastError ?? 'closed'))
    this.parser[HTTPParser.kOnHeadersComplete] = (info) => {
      this.status = info.statusCode
      this.keepAlive = info.shouldKeepAlive
      const h = info.headers
      if (this.current?.wantHeaders) this.headers = h
      for (let i = 0; i + 1 < h.length; i += 2) {
        // Only Keep-Alive matters; compare lengths first (no lower-casing of every header).
        const name = h[i]!
        if (name.length === 10 && name.toLowerCase() === 'keep-alive') {
          const m = /timeout=(\d+)/i.exec(h[i + 1]!)
          if (m) this.keepAliveMs = Number(m[1]) * 1000
        }
      }
    }
    this.parser[HTTPParser.kOnBody] = (chunk, start, len) => {
      if (this.current?.wantBody) this.chunks.push(chunk.subarray(start, start + len))
    }
    this.parser[HTTPParser.kOnMessageComplete] = () => this.complete()
  }

  write(p: Pending<T>): void {
    this.current = p
    this.writtenAt = performance.now()
    this.pool.hooks.onWrite(p.tag)
    this.socket.write(p.payload)
  }

  private complete(): void {
    const p = this.current
    if (!p) return // a response nobody asked for: ignore it
    this.current = null
    const body = p.wantBody ? Buffer.concat(this.chunks).toString('utf8') : undefined
    this.chunks = []
    const status = this.status
    const headers = this.headers
    this.headers = undefined
    if (!this.keepAlive) this.close()
    else this.expiresAt = this.keepAliveMs > 0 ? performance.now() + this.keepAliveMs - SERVER_KEEP_ALIVE_MARGIN_MS : Number.POSITIVE_INFINITY
    this.pool.hooks.onResponse(p.tag, status, body, headers)
    this.pool.released(this)
  }

  /** The connection is gone (error, close, timeout, parse error): its request fails, the pool forgets it. */
  fail(error: string): void {
    if (this.dead) return
    this.dead = true
    this.socket.destroy()
    const p = this.current
    this.current = null
    this.pool.lost(this)
    if (p) this.pool.hooks.onError(p.tag, error)
  }

  /** Closes without failing anything (idle, expired, or the server asked to close). */
  close(): void {
    if (this.dead) return
    this.dead = true
    this.socket.destroy()
    this.pool.lost(this)
  }
}

export class ConnectionPool<T> {
  private readonly idle: Connection<T>[] = []
  private readonly all = new Set<Connection<T>>()
  private readonly waiting: Pending<T>[] = []
  private waitingHead = 0
  private readonly port: number
  private readonly host: string
  private readonly sweeper: NodeJS.Timeout
  private closed = false
  private warmWaiters: Array<() => void> = []
  /** Connections opened since the pool was created (warm ones included). */
  opened = 0

  constructor(
    origin: URL,
    private readonly options: ConnectionPoolOptions,
    readonly hooks: PoolHooks<T>,
  ) {
    if (origin.protocol !== 'http:')
      throw new Error(
        `the native engine speaks plain HTTP/1.1; ${origin.href} is ${origin.protocol.replace(':', '')}: put a TLS-terminating proxy in front, or use the autocannon engine`,
      )
    if (!(Number.isInteger(options.maxConnections) && options.maxConnections >= 1))
      throw new Error(`maxConnections must be an integer >= 1, got ${options.maxConnections}`)
    this.port = Number(origin.port || 80)
    this.host = origin.hostname.replace(/^\[|\]$/g, '')
    // Timeouts are checked a few times per timeout, not per request: a timer per request would
    // cost more than the request itself at high rates; a timeout fires at most a quarter late.
    this.sweeper = setInterval(() => this.sweep(), Math.max(20, Math.min(250, options.timeoutMs / 4)))
    this.sweeper.unref()
  }

  /** Connections open now (busy, idle or connecting). */
  get size(): number {
    return this.all.size
  }

  /**
   * Called before the measured phase: opens connections until `count` are open (at most
   * maxConnections) and waits until they are connected. Rejects with the connect error (the
   * target is unreachable) or after `timeoutMs`.
   */
  async warm(count: number, timeoutMs = this.options.timeoutMs): Promise<void> {
    const want = Math.min(count, this.options.maxConnections)
    const opening: Connection<T>[] = []
    while (this.all.size < want) {
      const c = this.open()
      this.idle.push(c)
      opening.push(c)
    }
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        const failed = opening.find((c) => c.dead)
        if (failed) finish(new Error(`cannot connect to ${this.host}:${this.port}: ${failed.lastError ?? 'closed'}`))
        else if (opening.every((c) => c.connected)) finish(null)
      }
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `cannot connect to ${this.host}:${this.port}: ${opening.filter((c) => !c.connected).length} of ${opening.length} connections not open after ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      )
      const finish = (err: Error | null): void => {
        clearTimeout(timer)
        this.warmWaiters = this.warmWaiters.filter((w) => w !== check)
        if (err) reject(err)
        else resolve()
      }
      this.warmWaiters.push(check)
      check()
    })
  }

  /** Called for each request: written at once on a free connection, on a new one (up to maxConnections), or queued for the next free one. */
  send(payload: string, wantBody: boolean, tag: T, wantHeaders = false): void {
    const p: Pending<T> = { payload, wantBody, wantHeaders, tag }
    const conn = this.takeIdle() ?? (this.all.size < this.options.maxConnections ? this.open() : null)
    if (conn) conn.write(p)
    else this.waiting.push(p)
  }

  /** Called at the end: closes every connection; requests in flight or waiting are dropped without a callback. */
  close(): void {
    this.closed = true
    clearInterval(this.sweeper)
    this.waiting.length = 0
    this.waitingHead = 0
    for (const c of [...this.all]) {
      c.current = null
      c.close()
    }
  }

  /** @internal A connection finished its request and can take the next. */
  released(c: Connection<T>): void {
    if (c.dead || c.current) return
    const next = this.dequeue()
    if (next) c.write(next)
    else this.idle.push(c)
  }

  /** @internal A connection completed its TCP handshake. */
  connected(_c: Connection<T>): void {
    for (const w of [...this.warmWaiters]) w()
  }

  /** @internal A connection is gone: forget it, and open another for waiting requests. */
  lost(c: Connection<T>): void {
    this.all.delete(c)
    for (const w of [...this.warmWaiters]) w()
    if (this.closed) return
    const next = this.waitingHead < this.waiting.length ? this.dequeue() : null
    if (next) this.open().write(next)
  }

  /** A new connection, not yet idle: the caller writes on it at once, or warm() makes it idle. */
  private open(): Connection<T> {
    this.opened++
    const c = new Connection(this, this.port, this.host)
    this.all.add(c)
    return c
  }

  private takeIdle(): Connection<T> | null {
    const now = performance.now()
    for (;;) {
      const c = this.idle.pop()
      if (!c) return null
      if (c.dead) continue
      if (c.expiresAt <= now) {
        // The server's keep-alive timeout is about to close it: a request written now could be lost in the race.
        c.close()
        continue
      }
      return c
    }
  }

  private dequeue(): Pending<T> | null {
    if (this.waitingHead >= this.waiting.length) return null
    const p = this.waiting[this.waitingHead++]!
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead)
      this.waitingHead = 0
    }
    return p
  }

  private sweep(): void {
    const deadline = performance.now() - this.options.timeoutMs
    for (const c of this.all) if (c.current && c.writtenAt < deadline) c.fail('timeout')
  }
}
