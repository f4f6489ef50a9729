import http from 'node:http'
import type { AddressInfo } from 'node:net'

// Just enough of the CRM API to exercise the engines without the real service: customers with
// versions, the bulk seeding endpoint, X-Backend/X-Replica headers, a /metrics page and knobs
// tests turn (fixed delay, a stall, stale reads, a lost write).

export interface StubCustomer {
  id: string
  name: string
  email: string
  company: string
  segment: string
  createdAt: string
  updatedAt: string
  version: number
}

export interface StubOptions {
  /** Every response is sent this many ms after the request arrived. */
  delayMs?: number
  /** Value of X-Backend (and X-Replica). */
  name?: string
  /** Extra delay (ms) per route key ('GET /customers', ...): lets a test tell operations apart by latency. */
  delayByRoute?: Record<string, number>
  /** Answer `Connection: close` and close the socket after this many responses on it (like nginx keepalive_requests). */
  maxRequestsPerConnection?: number
  /** Status to answer per route key instead of the normal one: lets a test tell operations apart by status. */
  statusByRoute?: Record<string, number>
}

/** What the stub saw, for assertions. */
export interface StubStats {
  /** Requests per route key: 'GET /customers/:id', 'POST /customers', ... */
  routes: Map<string, number>
  /** GET /customers/:id and /360 reads per customer id. */
  readsById: Map<string, number>
  total: number
  /** TCP connections accepted. */
  connections: number
}

export class StubCrmServer {
  readonly customers = new Map<string, StubCustomer>()
  /** The version before the last update, served instead when `serveStale` is on. */
  private readonly previous = new Map<string, StubCustomer>()
  readonly stats: StubStats = { routes: new Map(), readsById: new Map(), total: 0, connections: 0 }
  delayMs: number
  /** When true, reads return the version before the last update (a lagging replica). */
  serveStale = false
  private pausedUntil = 0
  private nextId = 0
  private readonly server: http.Server
  private readonly name: string
  private readonly delayByRoute: Record<string, number>
  private readonly statusByRoute: Record<string, number>
  private readonly maxPerConnection: number
  private readonly servedOnSocket = new WeakMap<object, number>()

  constructor(opts: StubOptions = {}) {
    this.delayMs = opts.delayMs ?? 0
    this.name = opts.name ?? 'stub-1'
    this.delayByRoute = opts.delayByRoute ?? {}
    this.statusByRoute = opts.statusByRoute ?? {}
    this.maxPerConnection = opts.maxRequestsPerConnection ?? Number.POSITIVE_INFINITY
    this.server = http.createServer((req, res) => this.handle(req, res))
    this.server.keepAliveTimeout = 60_000
    this.server.on('connection', () => this.stats.connections++)
  }

  async start(): Promise<URL> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    const { port } = this.server.address() as AddressInfo
    return new URL(`http://127.0.0.1:${port}`)
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** The last stall, as epoch ms [from, until): when it began and when responses flow again. */
  stalled: { from: number; until: number } | null = null

  /** Holds every response (also those already waiting) until `ms` from now: a GC pause or a frozen process. */
  stall(ms: number): void {
    const now = Date.now()
    this.pausedUntil = now + ms
    this.stalled = { from: now, until: now + ms }
  }

  private stallPlan: { after: number; ms: number } | null = null

  /**
   * Stalls for `ms` (see stall) once `requests` more requests have arrived: ties the stall to
   * the load's progress rather than to a wall-clock moment, so a slow machine cannot make it
   * miss the run.
   */
  stallAfter(requests: number, ms: number): void {
    this.stallPlan = { after: this.stats.total + requests, ms }
  }

  /** Loses an acknowledged write: the record goes back to its previous version (or disappears). */
  rollback(id: string): void {
    const prev = this.previous.get(id)
    if (prev) this.customers.set(id, prev)
    else this.customers.delete(id)
  }

  private makeId(createdAt: string): string {
    // Time-ordered like the real CRM: the timestamp first, a counter to break ties.
    return `${Date.parse(createdAt).toString(36).padStart(9, '0')}-${(this.nextId++).toString(36).padStart(6, '0')}`
  }

  private lastRoute = ''

  private count(route: string): void {
    this.lastRoute = route
    this.stats.total++
    this.stats.routes.set(route, (this.stats.routes.get(route) ?? 0) + 1)
    if (this.stallPlan && this.stats.total >= this.stallPlan.after) {
      this.stall(this.stallPlan.ms)
      this.stallPlan = null
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    // A monotonic sub-millisecond clock: Date.now() floors, and a timer may fire up to the event
    // loop's cached-time staleness early, so a "20 ms" reply could leave after 19 ms on a busy machine.
    const received = performance.now()
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      let route = ''
      const reply = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
        route = this.lastRoute
        const due = received + this.delayMs + (this.delayByRoute[route] ?? 0)
        const send = (): void => {
          const early = due - performance.now()
          if (early > 0) {
            setTimeout(send, Math.ceil(early))
            return
          }
          const now = Date.now()
          if (now < this.pausedUntil) {
            setTimeout(send, this.pausedUntil - now)
            return
          }
          const text = typeof body === 'string' ? body : JSON.stringify(body)
          const served = (this.servedOnSocket.get(req.socket) ?? 0) + 1
          this.servedOnSocket.set(req.socket, served)
          if (served >= this.maxPerConnection) res.shouldKeepAlive = false
          res.writeHead(this.statusByRoute[route] ?? status, {
            'content-type': typeof body === 'string' ? 'text/plain; version=0.0.4' : 'application/json',
            'content-length': Buffer.byteLength(text),
            'x-backend': this.name,
            'x-replica': this.name,
            ...extra,
          })
          res.end(text)
        }
        send()
      }
      this.lastRoute = ''
      try {
        this.route(req.method ?? 'GET', req.url ?? '/', Buffer.concat(chunks).toString('utf8'), reply)
      } catch (err) {
        reply(400, { error: { code: 'bad_request', message: String(err) } })
      }
    })
  }

  private route(method: string, rawUrl: string, bodyText: string, reply: (status: number, body: unknown, extra?: Record<string, string>) => void): void {
    const url = new URL(rawUrl, 'http://stub')
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    const notFound = (): void => reply(404, { error: { code: 'not_found', message: `no ${url.pathname}` } })
    const now = new Date().toISOString()
    if (method === 'GET' && url.pathname === '/metrics') {
      this.count('GET /metrics')
      const reads = [...this.stats.readsById.values()].reduce((a, b) => a + b, 0)
      return reply(
        200,
        [
          '# HELP crm_cache_hits_total Cache hits',
          '# TYPE crm_cache_hits_total counter',
          `crm_cache_hits_total ${Math.floor(reads * 0.75)}`,
          `crm_cache_misses_total ${reads - Math.floor(reads * 0.75)}`,
          `crm_shard_requests_total{shard="0"} ${this.stats.total}`,
          `crm_http_requests_total{route="/customers/:id",method="GET",status="200"} ${this.stats.total}`,
          '',
        ].join('\n'),
      )
    }
    if (method === 'GET' && (url.pathname === '/health' || url.pathname === '/ready')) return reply(200, { status: 'ok' })
    if (method === 'POST' && url.pathname === '/admin/customers/bulk') {
      this.count('POST /admin/customers/bulk')
      const input = JSON.parse(bodyText) as { customers: Array<Omit<StubCustomer, 'id' | 'version' | 'updatedAt'>> }
      const ids = input.customers.map((c) => {
        const id = this.makeId(c.createdAt)
        this.customers.set(id, { ...c, id, updatedAt: c.createdAt, version: 1 })
        return id
      })
      return reply(201, { ids })
    }
    if (parts[0] !== 'customers') return notFound()
    if (parts.length === 1) {
      if (method === 'GET') {
        this.count('GET /customers')
        const q = (url.searchParams.get('q') ?? '').toLowerCase()
        const limit = Number(url.searchParams.get('limit') ?? 20)
        const items: StubCustomer[] = []
        for (const c of this.customers.values()) {
          if (items.length >= limit) break
          if (c.name.toLowerCase().startsWith(q) || c.email.startsWith(q)) items.push(c)
        }
        return reply(200, { items, nextCursor: null })
      }
      if (method === 'POST') {
        this.count('POST /customers')
        const input = JSON.parse(bodyText) as Omit<StubCustomer, 'id' | 'version'>
        const id = this.makeId(now)
        const c: StubCustomer = { ...input, id, createdAt: now, updatedAt: now, version: 1 }
        this.customers.set(id, c)
        return reply(201, c)
      }
      return notFound()
    }
    const id = parts[1]!
    const current = this.customers.get(id)
    if (parts.length === 2) {
      if (method === 'GET') {
        this.count('GET /customers/:id')
        this.stats.readsById.set(id, (this.stats.readsById.get(id) ?? 0) + 1)
        if (!current) return notFound()
        return reply(200, (this.serveStale && this.previous.get(id)) || current, { 'x-cache': 'miss' })
      }
      if (method === 'PATCH') {
        this.count('PATCH /customers/:id')
        if (!current) return notFound()
        const patch = JSON.parse(bodyText) as Partial<StubCustomer>
        const next: StubCustomer = { ...current, ...patch, id, updatedAt: now, version: current.version + 1 }
        this.previous.set(id, current)
        this.customers.set(id, next)
        return reply(200, next)
      }
      return notFound()
    }
    if (!current) return notFound()
    if (parts[2] === '360' && method === 'GET') {
      this.count('GET /customers/:id/360')
      this.stats.readsById.set(id, (this.stats.readsById.get(id) ?? 0) + 1)
      const customer = (this.serveStale && this.previous.get(id)) || current
      return reply(200, { customer, contacts: [], openDeals: [], latestActivities: [] })
    }
    if (parts[2] === 'deals' && method === 'GET') {
      this.count('GET /customers/:id/deals')
      return reply(200, { items: [] })
    }
    if (parts[2] === 'activities' && method === 'POST') {
      this.count('POST /customers/:id/activities')
      const a = JSON.parse(bodyText) as { type: string; note: string }
      return reply(201, { id: `a-${this.nextId++}`, customerId: id, type: a.type, note: a.note, at: now, createdAt: now })
    }
    return notFound()
  }
}
