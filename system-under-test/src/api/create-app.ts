import express, { type Express, type Request, type RequestHandler } from 'express'
import { checkAdminRequest, type AdminGuardOptions } from '../admin/admin-guard.js'
import { capacityMiddleware } from '../capacity/capacity-middleware.js'
import type { CapacityModel } from '../capacity/capacity-model.js'
import type { CrmService } from '../domain/crm-service.js'
import { errorHandler, routeNotFound, sendError } from './error-handler.js'
import { BULK_BODY, jsonBody, PUBLIC_BODY } from './json-body.js'
import type { ReplicaMetrics } from './replica-metrics.js'
import {
  changesQuerySchema,
  bulkCustomersSchema,
  customerPatchSchema,
  dealListQuerySchema,
  listQuerySchema,
  newActivitySchema,
  newContactSchema,
  newCustomerSchema,
  newDealSchema,
  searchQuerySchema,
  slowdownSchema,
} from './request-schemas.js'
import { parseInput } from './validate.js'

// The replica's HTTP surface (the CRM HTTP API in system-under-test/README.md). Order matters:
// observability and admin routes come before the capacity model, so a saturated replica still
// answers /health, /ready and /metrics and can be seeded or slowed; the public API sits behind it.

export interface AppDeps {
  service: CrmService
  /** Sent as X-Replica on every response. */
  replicaName: string
  metrics: ReplicaMetrics
  capacity: CapacityModel
  /** Called by GET /ready: the reasons this replica cannot serve; empty when ready. */
  readinessProblems(): Promise<string[]>
  /** Who may call /admin (token, accepted Host names). */
  admin: AdminGuardOptions
}

export function createApp(deps: AppDeps): Express {
  const { service, metrics } = deps
  const app = express()
  // ETags would hash every body; clients of this API use `version` instead.
  app.set('etag', false)
  app.disable('x-powered-by')

  app.use(observe(deps.replicaName, metrics))

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', replica: deps.replicaName })
  })
  app.get('/ready', async (_req, res) => {
    const problems = await deps.readinessProblems()
    if (problems.length === 0) res.json({ status: 'ready', replica: deps.replicaName })
    else sendError(res, 503, 'not_ready', `replica ${deps.replicaName} is not ready: ${problems.join('; ')}`)
  })
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType)
    res.send(await metrics.registry.metrics())
  })

  const admin = express.Router()
  admin.use(adminGuard(deps.admin))
  admin.post('/customers/bulk', jsonBody(BULK_BODY), async (req, res) => {
    const { customers } = parseInput(bulkCustomersSchema, req.body, 'body')
    const ids = await service.bulkInsertCustomers(customers)
    res.status(201).json({ ids })
  })
  admin.post('/slowdown', jsonBody(PUBLIC_BODY), (req, res) => {
    const { factor } = parseInput(slowdownSchema, req.body, 'body')
    deps.capacity.setSlowdown(factor)
    res.json({ factor })
  })
  // The changes feed for systems that pull (sync strategy scheduled-pull): admin-guarded, since it hands out every record.
  admin.get('/changes', async (req, res) => {
    const query = parseInput(changesQuerySchema, req.query, 'query')
    res.json(await service.changesSince(query.after ?? null, query.limit))
  })
  admin.use(routeNotFound)
  app.use('/admin', admin)

  app.use(capacityMiddleware(deps.capacity))
  // Body parsing only on routes that take a body: GETs (the hot path) skip two middlewares.
  const body = jsonBody(PUBLIC_BODY)

  // The hot path the benchmark measures, first among the public routes: one cache lookup, one JSON body.
  app.get('/customers/:id', async (req, res) => {
    const bypass = wantsNoCache(req)
    const read = await service.getCustomer(idParam(req.params.id), bypass)
    // res.json's extras (freshness check, charset juggling) buy nothing for this body.
    const json = JSON.stringify(read.value)
    res.writeHead(200, {
      'X-Cache': cacheHeader(read.hit, bypass),
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
    })
    res.end(json)
  })
  app.post('/customers', body, async (req, res) => {
    const customer = await service.createCustomer(parseInput(newCustomerSchema, req.body, 'body'))
    res.status(201).setHeader('Location', `/customers/${customer.id}`).json(customer)
  })
  app.get('/customers', async (req, res) => {
    const query = parseInput(searchQuerySchema, req.query, 'query')
    res.json(await service.searchCustomers(query.q, query.limit, query.cursor ?? null))
  })
  app.patch('/customers/:id', body, async (req, res) => {
    res.json(await service.updateCustomer(idParam(req.params.id), parseInput(customerPatchSchema, req.body, 'body')))
  })
  app.delete('/customers/:id', async (req, res) => {
    await service.deleteCustomer(idParam(req.params.id))
    res.status(204).end()
  })
  app.get('/customers/:id/360', async (req, res) => {
    const bypass = wantsNoCache(req)
    const read = await service.getCustomer360(idParam(req.params.id), bypass)
    res.setHeader('X-Cache', cacheHeader(read.hit, bypass))
    res.json(read.value)
  })

  app.post('/customers/:id/contacts', body, async (req, res) => {
    res.status(201).json(await service.createContact(idParam(req.params.id), parseInput(newContactSchema, req.body, 'body')))
  })
  app.get('/customers/:id/contacts', async (req, res) => {
    const { limit } = parseInput(listQuerySchema, req.query, 'query')
    res.json({ items: await service.listContacts(idParam(req.params.id), limit) })
  })
  app.post('/customers/:id/deals', body, async (req, res) => {
    res.status(201).json(await service.createDeal(idParam(req.params.id), parseInput(newDealSchema, req.body, 'body')))
  })
  app.get('/customers/:id/deals', async (req, res) => {
    const { limit, open } = parseInput(dealListQuerySchema, req.query, 'query')
    res.json({ items: await service.listDeals(idParam(req.params.id), limit, open === 'true') })
  })
  app.post('/customers/:id/activities', body, async (req, res) => {
    res.status(201).json(await service.createActivity(idParam(req.params.id), parseInput(newActivitySchema, req.body, 'body')))
  })
  app.get('/customers/:id/activities', async (req, res) => {
    const { limit } = parseInput(listQuerySchema, req.query, 'query')
    res.json({ items: await service.listActivities(idParam(req.params.id), limit) })
  })

  app.use(routeNotFound)
  app.use(errorHandler())
  return app
}

/**
 * `Cache-Control: no-cache` on a read: the client must see what the shards store (the harness
 * verifying its writes), so the replica's cache is neither read nor filled (RFC 9111 5.2.1.4).
 */
function wantsNoCache(req: Request): boolean {
  const header = req.headers['cache-control']
  return header !== undefined && /(?:^|,)\s*no-cache\s*(?:,|$)/i.test(header)
}

function cacheHeader(hit: boolean, bypassed: boolean): string {
  return bypassed ? 'bypass' : hit ? 'hit' : 'miss'
}

/** `:id` is always one path segment; the typings also allow arrays (for wildcard routes). */
function idParam(value: string | string[] | undefined): string {
  // Express types a route given a middleware with loose params; every caller's path has `:id`.
  if (value === undefined) throw new Error('route has no :id parameter')
  return typeof value === 'string' ? value : value.join('/')
}

/** Refuses an /admin request without the token, from a foreign Host or Origin, or a POST that is not JSON (see admin-guard.ts). */
function adminGuard(options: AdminGuardOptions): RequestHandler {
  return (req, res, next) => {
    const refusal = checkAdminRequest(req, options)
    if (refusal === null) return next()
    if (refusal.headers) res.set(refusal.headers)
    // The body may be unread (and may be large): answer, then close the connection.
    res.set('Connection', 'close')
    sendError(res, refusal.status, refusal.code, refusal.message)
  }
}

/** Route pattern for metrics labels: bounded cardinality (never the raw path with its ids). */
function routeLabel(req: Request, status: number): string {
  const route = (req as Request & { route?: { path?: unknown } }).route
  if (route !== undefined && typeof route.path === 'string') return req.baseUrl + route.path
  return status === 503 ? 'capacity_rejected' : 'unmatched'
}

function observe(replicaName: string, metrics: ReplicaMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint()
    res.setHeader('X-Replica', replicaName)
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      metrics.observeHttp(routeLabel(req, res.statusCode), req.method, res.statusCode, seconds)
    })
    next()
  }
}
