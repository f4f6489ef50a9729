import { createServer } from 'node:http'
import express from 'express'
import { Counter, Gauge, Registry } from 'prom-client'
import { z } from 'zod'
import { closeServer, listen } from '../http/listen.js'
import type { ChangeConsumer } from '../sync/brokers/change-broker.js'
import { startConsumer } from '../sync/brokers/connect-broker.js'
import { changeEventSchema } from '../sync/change-event.js'
import { ChangesPuller } from './changes-puller.js'
import { DownstreamStore } from './downstream-store.js'
import { DOWNSTREAM_ROUTES, HEALTH_PATH, METRICS_PATH, READY_PATH } from '../contract/http-routes.js'

// The downstream system: another service (an order or ERP system, say) that keeps its own copy
// of the CRM's customers. How changes reach it is the sync strategy:
//   sync-call       replicas POST each change to /changes before acknowledging the write;
//   queue-push      it consumes the broker queue the shards' outbox publishers fill;
//   scheduled-pull  it asks the CRM for changes after its watermark every interval.
// Whatever the source, changes go through one DownstreamStore (idempotent by version), and the
// harness reads back what it holds (/versions, /applied, /stats) to measure lag and loss.

export interface DownstreamOptions {
  host: string
  port: number
  /** Append-only log of every change taken (replayed on start); memory only when omitted. */
  dataFile?: string
  /** queue-push: the broker to consume from (amqp://... or kafka://host:port). */
  consumeFrom?: string
  /** scheduled-pull: replica URLs to pull the changes feed from. */
  pullFrom?: string[]
  adminToken?: string
  intervalMs: number
  /** Changes per pull (per shard), or messages in flight from the broker. */
  batch: number
  log?: (line: string) => void
}

export interface StartedDownstream {
  url: string
  /** Changes replayed from the data file at start. */
  replayed: number
  close(): Promise<void>
}

const changesBody = z.strictObject({ changes: z.array(changeEventSchema).max(5_000) })
const versionsBody = z.strictObject({ ids: z.array(z.string().min(1).max(200)).max(10_000) })
const appliedQuery = z.object({ from: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(100_000).default(10_000) })

export async function startDownstream(options: DownstreamOptions): Promise<StartedDownstream> {
  const log = options.log ?? ((line: string) => process.stderr.write(`downstream: ${line}\n`))
  const { store, replayed } = await DownstreamStore.open(options.dataFile)
  const registry = new Registry()
  const rejected = new Counter({
    name: 'downstream_rejected_total',
    help: 'Broker messages dropped because they were not change events',
    registers: [registry],
  })
  let sourceConnected = options.consumeFrom === undefined && options.pullFrom === undefined
  for (const [name, help, key] of [
    ['downstream_records', 'Customers held (tombstones included)', 'records'],
    ['downstream_changes_received', 'Changes received since the store began', 'received'],
    ['downstream_changes_applied', 'Changes applied (newer than the version held)', 'applied'],
    ['downstream_duplicates', 'Changes received again (same id and version): harmless, counted', 'duplicates'],
    ['downstream_superseded', 'Changes that arrived after a newer version of the record: skipped', 'superseded'],
  ] as const) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(store.stats()[key])
      },
    })
  }
  new Gauge({
    name: 'downstream_source_connected',
    help: '1 while the broker connection or the last pull is up',
    registers: [registry],
    collect() {
      this.set(sourceConnected ? 1 : 0)
    },
  })

  const app = express()
  app.disable('x-powered-by')
  app.get(HEALTH_PATH, (_req, res) => void res.json({ status: 'ok' }))
  app.get(READY_PATH, (_req, res) => void res.json({ status: 'ready' }))
  app.get(METRICS_PATH, async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics())
  })
  app.post(DOWNSTREAM_ROUTES.changes, express.json({ limit: '16mb' }), async (req, res) => {
    const body = changesBody.safeParse(req.body)
    if (!body.success) return void res.status(400).json(validationError('body must be {"changes": [change events]}', body.error))
    const outcomes = await store.apply(body.data.changes)
    res.json({
      applied: outcomes.filter((o) => o === 'applied').length,
      duplicates: outcomes.filter((o) => o === 'duplicate').length,
      superseded: outcomes.filter((o) => o === 'superseded').length,
    })
  })
  app.post(DOWNSTREAM_ROUTES.versions, express.json({ limit: '4mb' }), (req, res) => {
    const body = versionsBody.safeParse(req.body)
    if (!body.success) return void res.status(400).json(validationError('body must be {"ids": [customer ids]}', body.error))
    res.json({ versions: body.data.ids.map((id) => store.versionOf(id)) })
  })
  app.get('/records/:id', (req, res) => {
    const record = store.get(req.params.id)
    if (record === null) return void res.status(404).json({ error: { code: 'not_found', message: `downstream holds no customer ${req.params.id}` } })
    res.json(record)
  })
  app.get(DOWNSTREAM_ROUTES.applied, (req, res) => {
    const query = appliedQuery.safeParse(req.query)
    if (!query.success) return void res.status(400).json(validationError('from and limit must be whole numbers', query.error))
    res.json(store.appliedSince(query.data.from, query.data.limit))
  })
  app.get(DOWNSTREAM_ROUTES.stats, (_req, res) => void res.json({ ...store.stats(), sourceConnected }))
  app.use((req, res) => void res.status(404).json({ error: { code: 'route_not_found', message: `no route ${req.method} ${req.path}` } }))
  app.use(((error, _req, res, _next) => {
    const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500
    if (status >= 500) log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    res.status(status).json({ error: { code: status >= 500 ? 'internal' : 'bad_request', message: error instanceof Error ? error.message : String(error) } })
  }) satisfies express.ErrorRequestHandler)

  const server = createServer({ keepAliveTimeout: 65_000 }, app)
  let consumer: ChangeConsumer | null = null
  let puller: ChangesPuller | null = null
  try {
    const port = await listen(server, options.port, options.host)
    if (options.consumeFrom !== undefined) {
      consumer = await startConsumer(options.consumeFrom, options.batch, {
        apply: async (event) => void (await store.apply([event])),
        rejected: (reason) => {
          rejected.inc()
          log(`dropped ${reason}`)
        },
        state: (connected, detail) => {
          sourceConnected = connected
          log(detail)
        },
      })
    }
    if (options.pullFrom !== undefined) {
      if (options.adminToken === undefined) throw new Error('pulling changes needs the CRM admin token (LOADLAB_ADMIN_TOKEN)')
      const p = new ChangesPuller(store, {
        crmUrls: options.pullFrom,
        adminToken: options.adminToken,
        intervalMs: options.intervalMs,
        batch: options.batch,
        log,
      })
      puller = p
      setInterval(() => (sourceConnected = p.connected), 200).unref()
    }
    let closing: Promise<void> | null = null
    return {
      url: `http://${options.host}:${port}`,
      replayed,
      close: () =>
        (closing ??= (async () => {
          await consumer?.close()
          await puller?.close()
          await closeServer(server, 2_000)
          await store.close()
        })()),
    }
  } catch (error) {
    await consumer?.close()
    await closeServer(server, 0).catch(() => undefined)
    await store.close()
    throw error
  }
}

function validationError(message: string, error: z.ZodError): { error: { code: string; message: string; details: { field: string; message: string }[] } } {
  return { error: { code: 'validation_failed', message, details: error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })) } }
}
