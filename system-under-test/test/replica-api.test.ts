import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startShardServer } from '../src/storage/embedded-shard-server.js'
import { startReplica, type StartedReplica } from '../src/replica/start-replica.js'
import type { ReplicaOptions } from '../src/replica/replica-options.js'
import { DEFAULT_CAPACITY } from '../src/capacity/create-capacity-model.js'
import type { Customer } from '../src/domain/records.js'
import { REPLICA_METRIC_NAMES } from './support/replica-metric-names.js'
import { TEST_ADMIN_TOKEN } from './support/sut-processes.js'

// The replica's public API, in-process, over two real (in-process) embedded shard servers
// reached over HTTP: what a client of the CRM sees.

interface Stack {
  url: string
  close(): Promise<void>
}

async function startStack(overrides: Partial<ReplicaOptions> = {}): Promise<Stack> {
  const shards = await Promise.all([0, 1].map((shardIndex) => startShardServer({ host: '127.0.0.1', port: 0, shardIndex, capacity: { ...DEFAULT_CAPACITY } })))
  let replica: StartedReplica | undefined
  try {
    replica = await startReplica({
      host: '127.0.0.1',
      port: 0,
      name: 'replica-test',
      shards: shards.map((s) => s.url),
      store: 'embedded',
      partition: 'hash',
      virtualNodes: 160,
      rangeStartMs: Date.parse('2025-01-01T00:00:00Z'),
      rangeEndMs: Date.parse('2026-01-01T00:00:00Z'),
      cache: 'none',
      cacheSize: 1000,
      cacheTtlMs: 30_000,
      writePolicy: 'invalidate',
      capacity: { ...DEFAULT_CAPACITY },
      adminToken: TEST_ADMIN_TOKEN,
      ...overrides,
    })
  } catch (error) {
    await Promise.all(shards.map((s) => s.close()))
    throw error
  }
  const started = replica
  return {
    url: started.url,
    close: async () => {
      await started.close()
      await Promise.all(shards.map((s) => s.close()))
    },
  }
}

interface Reply {
  status: number
  headers: Headers
  body: any
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...(path.startsWith('/admin') ? { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } : {}), ...headers } }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json'
  }
  const res = await fetch(base + path, init)
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text === '' ? null : JSON.parse(text)
  } catch {
    // not JSON: keep the text so the assertion shows it
  }
  return { status: res.status, headers: res.headers, body: parsed }
}

let counter = 0
interface CustomerBody {
  name: unknown
  email: unknown
  company: unknown
  segment: unknown
  [field: string]: unknown
}
function newCustomer(overrides: Record<string, unknown> = {}): CustomerBody {
  counter++
  return { name: `Ada Lovelace ${counter}`, email: `ada${counter}-${Date.now()}@example.com`, company: 'Analytical Engines', segment: 'smb', ...overrides }
}

function expectErrorShape(reply: Reply, status: number, code: string): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status)
  expect(reply.body).toMatchObject({ error: { code, message: expect.any(String) } })
}

describe('replica API over two shard servers (no cache)', () => {
  let stack: Stack
  let api: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Reply>
  beforeAll(async () => {
    stack = await startStack()
    api = (method, path, body, headers) => call(stack.url, method, path, body, headers)
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('creates, reads, updates and deletes a customer, bumping version on every update', async () => {
    const created = await api('POST', '/customers', newCustomer({ segment: 'enterprise' }))
    expect(created.status).toBe(201)
    expect(created.headers.get('x-replica')).toBe('replica-test')
    const customer = created.body as Customer
    expect(customer).toMatchObject({ version: 1, segment: 'enterprise' })
    expect(customer.id).toMatch(/^cus_/)

    const read = await api('GET', `/customers/${customer.id}`)
    expect(read.status).toBe(200)
    expect(read.body).toEqual(customer)
    expect(read.headers.get('x-cache')).toBe('miss')

    const patched = await api('PATCH', `/customers/${customer.id}`, { company: 'Babbage & Co' })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ id: customer.id, company: 'Babbage & Co', version: 2 })
    const again = await api('PATCH', `/customers/${customer.id}`, { segment: 'mid-market' })
    expect(again.body).toMatchObject({ company: 'Babbage & Co', segment: 'mid-market', version: 3 })
    expect((await api('GET', `/customers/${customer.id}`)).body).toMatchObject({ version: 3, segment: 'mid-market' })

    const deleted = await api('DELETE', `/customers/${customer.id}`)
    expect(deleted.status).toBe(204)
    expectErrorShape(await api('GET', `/customers/${customer.id}`), 404, 'not_found')
    expectErrorShape(await api('DELETE', `/customers/${customer.id}`), 404, 'not_found')
  })

  it('answers 400 naming every bad field, including unknown ones', async () => {
    const reply = await api('POST', '/customers', { name: '', email: 'not-an-email', segment: 'huge', segement: 'smb' })
    expectErrorShape(reply, 400, 'validation_failed')
    const fields = (reply.body.error.details as { field: string }[]).map((d) => d.field).sort()
    expect(fields).toEqual(['company', 'email', 'name', 'segement', 'segment'])
    expect(reply.body.error.details.find((d: { field: string }) => d.field === 'company').message).toBe('is required')

    const patch = await api('PATCH', '/customers/cus_whatever', {})
    expectErrorShape(patch, 400, 'validation_failed')
    const query = await api('GET', '/customers?q=a&limit=0')
    expectErrorShape(query, 400, 'validation_failed')
    expect(query.body.error.details).toEqual([{ field: 'limit', message: 'must be at least 1' }])
  })

  it('answers 404 for unknown ids and routes, with the common error body', async () => {
    expectErrorShape(await api('GET', '/customers/cus_0000000000aaaaaaaaaaaaaaaa'), 404, 'not_found')
    expectErrorShape(await api('PATCH', '/customers/cus_0000000000aaaaaaaaaaaaaaaa', { name: 'X' }), 404, 'not_found')
    expectErrorShape(await api('GET', '/customers/cus_0000000000aaaaaaaaaaaaaaaa/360'), 404, 'not_found')
    expectErrorShape(await api('POST', '/customers/cus_0000000000aaaaaaaaaaaaaaaa/contacts', { name: 'B', email: 'b@example.com' }), 404, 'not_found')
    expectErrorShape(await api('GET', '/customers/cus_0000000000aaaaaaaaaaaaaaaa/deals'), 404, 'not_found')
    expectErrorShape(await api('GET', '/nope'), 404, 'route_not_found')
    expectErrorShape(await api('PUT', '/customers'), 404, 'route_not_found')
  })

  it('refuses a duplicate email with 409 naming the holder, case-insensitively and whichever shard either customer is on', async () => {
    const holders: Customer[] = []
    for (let i = 0; i < 8; i++) holders.push((await api('POST', '/customers', newCustomer())).body as Customer)
    for (const holder of holders) {
      const dup = await api('POST', '/customers', newCustomer({ email: holder.email.toUpperCase() }))
      expectErrorShape(dup, 409, 'email_taken')
      expect(dup.body.error.message).toContain(holder.id)
    }
    // An update to a taken email is refused too, and leaves the customer unchanged.
    const [a, b] = holders
    expectErrorShape(await api('PATCH', `/customers/${b!.id}`, { email: a!.email }), 409, 'email_taken')
    expect((await api('GET', `/customers/${b!.id}`)).body).toMatchObject({ email: b!.email, version: 1 })
    // Changing an email frees the old one; deleting frees it too.
    expect((await api('PATCH', `/customers/${b!.id}`, { email: `moved-${b!.email}` })).status).toBe(200)
    expect((await api('POST', '/customers', newCustomer({ email: b!.email }))).status).toBe(201)
    expect((await api('DELETE', `/customers/${a!.id}`)).status).toBe(204)
    expect((await api('POST', '/customers', newCustomer({ email: a!.email }))).status).toBe(201)
  })

  it('lets exactly one of many concurrent creates with the same email win', async () => {
    const email = `race-${Date.now()}@example.com`
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => api('POST', '/customers', newCustomer({ email: i % 2 === 0 ? email : email.toUpperCase() }))),
    )
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1)
    expect(replies.filter((r) => r.status === 409)).toHaveLength(11)
    const search = await api('GET', `/customers?q=${encodeURIComponent(email)}`)
    expect(search.body.items).toHaveLength(1)
  })

  it('answers 413 for a body over 64 KiB, 415 for a non-JSON body and 400 invalid_json for broken JSON', async () => {
    const big = newCustomer({ name: 'x'.repeat(70 * 1024) })
    expectErrorShape(await api('POST', '/customers', big), 413, 'payload_too_large')
    expectErrorShape(await api('POST', '/customers', 'name=Ada', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type')
    expectErrorShape(await api('POST', '/customers', 'hello', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type')
    expectErrorShape(await api('POST', '/customers', '{"name": "Ada",'), 400, 'invalid_json')
  })

  it('never answers 5xx to bad input', async () => {
    const bad: [string, string, unknown?, Record<string, string>?][] = [
      ['POST', '/customers', '[]'],
      ['POST', '/customers', 'null'],
      ['POST', '/customers', '"text"'],
      ['POST', '/customers', '{"name": 1e999, "email": {}, "company": [], "segment": null}'],
      ['POST', '/customers', '{"__proto__": {"admin": true}}'],
      ['POST', '/customers', undefined],
      ['POST', '/customers', '\u0000\u0001'],
      ['POST', '/customers', '{}', { 'content-type': 'application/json; charset=latin-9' }],
      ['GET', '/customers?limit=abc'],
      ['GET', '/customers?limit=1.5'],
      ['GET', '/customers?q=a&q=b'],
      ['GET', '/customers?cursor=%%%'],
      ['GET', '/customers?cursor=bm90LWpzb24'],
      ['GET', '/customers?cursor=eyJuIjoxfQ'],
      ['GET', '/customers/%E0%A4%A'],
      ['GET', `/customers/${'x'.repeat(5000)}`],
      ['POST', '/customers/x/deals', { title: 'T', amount: -1, stage: 'maybe', currency: 'dollars' }],
      ['POST', '/customers/x/activities', { type: 'party', at: 'yesterday' }],
      ['POST', '/admin/customers/bulk', { customers: [] }],
      ['POST', '/admin/customers/bulk', { customers: [{ ...newCustomer(), createdAt: 'not a date' }] }],
      ['POST', '/admin/slowdown', { factor: -3 }],
    ]
    for (const [method, path, body, headers] of bad) {
      const reply = await api(method, path, body, headers)
      expect(reply.status, `${method} ${path} -> ${JSON.stringify(reply.body)}`).toBeGreaterThanOrEqual(400)
      expect(reply.status, `${method} ${path} -> ${JSON.stringify(reply.body)}`).toBeLessThan(500)
      expect(reply.body, `${method} ${path}`).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } })
    }
  })

  it('searches by name or email prefix across both shards, paging with a cursor, each match once and in order', async () => {
    const tag = `Zeta${Date.now()}`
    const names: string[] = []
    for (let i = 0; i < 23; i++) {
      // Mixed case and repeated names: order is (lower-cased name, id).
      const name = `${i % 2 === 0 ? tag : tag.toUpperCase()} ${String(i % 11).padStart(2, '0')}`
      names.push(name)
      expect((await api('POST', '/customers', newCustomer({ name }))).status).toBe(201)
    }
    const seen: Customer[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Reply = await api('GET', `/customers?q=${encodeURIComponent(tag.toLowerCase())}&limit=5${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.status).toBe(200)
      expect(page.body.items.length).toBeLessThanOrEqual(5)
      seen.push(...(page.body.items as Customer[]))
      cursor = page.body.nextCursor
      pages++
    } while (cursor !== null && pages < 20)
    expect(pages).toBe(5)
    expect(seen).toHaveLength(23)
    expect(new Set(seen.map((c) => c.id)).size).toBe(23)
    const order = seen.map((c) => [c.name.toLowerCase(), c.id] as const)
    const sorted = [...order].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : 1))
    expect(order).toEqual(sorted)

    const byEmail = await api('GET', `/customers?q=${encodeURIComponent(String(seen[0]!.email).slice(0, 12))}&limit=100`)
    expect(byEmail.body.items.map((c: Customer) => c.id)).toContain(seen[0]!.id)
    expectErrorShape(await api('GET', '/customers?q=a&cursor=not-a-cursor'), 400, 'validation_failed')
  })

  it('creates and lists contacts, deals and activities, and shows them in the 360 view', async () => {
    const customer = (await api('POST', '/customers', newCustomer())).body as Customer
    const base = `/customers/${customer.id}`
    expect((await api('POST', `${base}/contacts`, { name: 'Grace', email: 'grace@example.com', role: 'CTO' })).status).toBe(201)
    const open = await api('POST', `${base}/deals`, { title: 'Renewal', amount: 1200 })
    expect(open.body).toMatchObject({ stage: 'lead', currency: 'USD', customerId: customer.id })
    expect((await api('POST', `${base}/deals`, { title: 'Old', amount: 10, stage: 'won' })).status).toBe(201)
    await api('POST', `${base}/activities`, { type: 'call', at: '2026-01-01T10:00:00Z', note: 'first' })
    await api('POST', `${base}/activities`, { type: 'email', at: '2026-02-01T10:00:00Z', note: 'second' })

    expect((await api('GET', `${base}/contacts`)).body.items).toHaveLength(1)
    expect((await api('GET', `${base}/deals`)).body.items).toHaveLength(2)
    expect((await api('GET', `${base}/deals?open=true`)).body.items).toHaveLength(1)

    const view = await api('GET', `${base}/360`)
    expect(view.status).toBe(200)
    expect(view.headers.get('x-cache')).toBe('miss')
    expect(view.body.customer).toEqual(customer)
    expect(view.body.contacts.map((c: { name: string }) => c.name)).toEqual(['Grace'])
    expect(view.body.openDeals.map((d: { title: string }) => d.title)).toEqual(['Renewal'])
    expect(view.body.latestActivities.map((a: { note: string }) => a.note)).toEqual(['second', 'first'])
  })

  it('bulk-loads customers with ids ordered by createdAt, and keeps their emails unique', async () => {
    const stamp = Date.now()
    const customers = [2, 0, 1].map((i) => ({ ...newCustomer({ email: `bulk${i}-${stamp}@example.com` }), createdAt: `2025-0${i + 1}-15T00:00:00Z` }))
    const reply = await api('POST', '/admin/customers/bulk', { customers })
    expect(reply.status).toBe(201)
    const ids = reply.body.ids as string[]
    expect(ids).toHaveLength(3)
    // createdAt months 3, 1, 2 -> ids sort as 2nd < 3rd < 1st.
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0]])
    expect((await api('GET', `/customers/${ids[0]}`)).body).toMatchObject({ createdAt: '2025-03-15T00:00:00.000Z', version: 1 })
    expectErrorShape(await api('POST', '/customers', newCustomer({ email: customers[0]!.email })), 409, 'email_taken')
    expectErrorShape(await api('POST', '/admin/customers/bulk', { customers: [customers[1]] }), 409, 'email_taken')
    // A conflicting bulk call inserts nothing, so its other emails stay free.
    const fresh = { ...newCustomer(), createdAt: '2025-05-01T00:00:00Z' }
    expectErrorShape(await api('POST', '/admin/customers/bulk', { customers: [fresh, customers[2]] }), 409, 'email_taken')
    expect((await api('POST', '/customers', newCustomer({ email: fresh.email }))).status).toBe(201)
  })

  it('limits bulk calls to 5000 customers and 4 MiB', async () => {
    const one = { ...newCustomer(), createdAt: '2025-05-01T00:00:00Z' }
    const tooMany = await api('POST', '/admin/customers/bulk', { customers: Array.from({ length: 5001 }, () => one) })
    expectErrorShape(tooMany, 400, 'validation_failed')
    expect(tooMany.body.error.details).toEqual([{ field: 'customers', message: 'at most 5000 customers per call' }])
    const huge = await api('POST', '/admin/customers/bulk', { customers: [{ ...one, name: 'x'.repeat(17 * 1024 * 1024) }] })
    expectErrorShape(huge, 413, 'payload_too_large')
    expect(huge.body.error.message).toContain('4 MiB')
  })

  it('serves /health, /ready and /metrics with the contract metric names', async () => {
    expect((await api('GET', '/health')).status).toBe(200)
    expect((await api('GET', '/ready')).body).toMatchObject({ status: 'ready' })
    const metrics = await fetch(`${stack.url}/metrics`).then((r) => r.text())
    for (const name of REPLICA_METRIC_NAMES) {
      expect(metrics).toContain(`\n${name}`)
    }
    expect(metrics).toMatch(/crm_shard_requests_total\{shard="0"\} [1-9]/)
    expect(metrics).toMatch(/crm_shard_requests_total\{shard="1"\} [1-9]/)
    expect(metrics).toContain('crm_http_requests_total{route="/customers/:id",method="GET",status="200"}')
    // hash over 2 shards: adding a third moves about two thirds of the keys.
    const ratio = Number(/\ncrm_partition_keys_moved_if_shard_added_ratio (\S+)/.exec(metrics)?.[1])
    expect(ratio).toBeGreaterThan(0.5)
    expect(ratio).toBeLessThan(0.8)
  })
})

describe.each(['invalidate', 'write-through'] as const)('lru cache with write policy %s', (writePolicy) => {
  let stack: Stack | undefined
  afterEach(async () => {
    await stack?.close()
    stack = undefined
  })

  it('serves a hit after a miss, and never the old version after a write', async () => {
    stack = await startStack({ cache: 'lru', writePolicy })
    const api = (method: string, path: string, body?: unknown) => call(stack!.url, method, path, body)
    const customer = (await api('POST', '/customers', newCustomer())).body as Customer
    const first = await api('GET', `/customers/${customer.id}`)
    expect(first.headers.get('x-cache')).toBe('miss')
    const second = await api('GET', `/customers/${customer.id}`)
    expect(second.headers.get('x-cache')).toBe('hit')
    expect(second.body).toMatchObject({ version: 1 })

    for (let v = 2; v <= 4; v++) {
      const patched = await api('PATCH', `/customers/${customer.id}`, { name: `Renamed ${v}` })
      expect(patched.body).toMatchObject({ version: v })
      const after = await api('GET', `/customers/${customer.id}`)
      expect(after.body).toMatchObject({ version: v, name: `Renamed ${v}` })
    }
    expect((await api('GET', `/customers/${customer.id}`)).headers.get('x-cache')).toBe('hit')

    // Concurrent updates: whatever order their cache updates finish in, the newest version wins.
    const concurrent = await Promise.all(Array.from({ length: 8 }, (_, i) => api('PATCH', `/customers/${customer.id}`, { company: `Parallel ${i}` })))
    expect(concurrent.map((r) => r.body.version).sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10, 11, 12])
    expect((await api('GET', `/customers/${customer.id}`)).body).toMatchObject({ version: 12 })
    expect((await api('GET', `/customers/${customer.id}`)).body).toMatchObject({ version: 12 })

    // The 360 view is cached too, and a child write or an update shows in it at once.
    expect((await api('GET', `/customers/${customer.id}/360`)).headers.get('x-cache')).toBe('miss')
    expect((await api('GET', `/customers/${customer.id}/360`)).headers.get('x-cache')).toBe('hit')
    await api('POST', `/customers/${customer.id}/contacts`, { name: 'New Contact', email: 'nc@example.com' })
    await api('PATCH', `/customers/${customer.id}`, { company: 'After' })
    const view = await api('GET', `/customers/${customer.id}/360`)
    expect(view.body.contacts.map((c: { name: string }) => c.name)).toEqual(['New Contact'])
    expect(view.body.customer).toMatchObject({ company: 'After', version: 13 })

    expect((await api('DELETE', `/customers/${customer.id}`)).status).toBe(204)
    expect((await api('GET', `/customers/${customer.id}`)).status).toBe(404)
    expect((await api('GET', `/customers/${customer.id}/360`)).status).toBe(404)

    const metrics = await fetch(`${stack.url}/metrics`).then((r) => r.text())
    expect(Number(/\ncrm_cache_hits_total (\S+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3)
  })
})

describe('capacity', () => {
  const stacks: Stack[] = []
  afterEach(async () => {
    for (const h of held.splice(0)) h.release()
    await Promise.all(stacks.splice(0).map((s) => s.close()))
  })

  it('refuses requests beyond the replica queue with 503 + Retry-After, while /health, /metrics and /admin still answer', async () => {
    const stack = await startStack({ capacity: { serviceTime: { kind: 'constant', ms: 60 }, slots: 1, queueLimit: 0, slowdown: 1 } })
    stacks.push(stack)
    const created = await call(stack.url, 'POST', '/customers', newCustomer())
    expect(created.status).toBe(201)
    // From now on a request holds the only slot for a minute (60 ms x 1000); the test ends it itself
    // (a client that goes away frees its slot), so what follows depends on the order of events, not on speed.
    expect((await call(stack.url, 'POST', '/admin/slowdown', { factor: 1000 })).status).toBe(200)
    const busy = holdRequest(`${stack.url}/customers/${created.body.id}`)
    await expectMetric(stack.url, 'crm_capacity_in_service', 1)

    const replies = [await call(stack.url, 'GET', `/customers/${created.body.id}`), await call(stack.url, 'GET', `/customers/${created.body.id}`)]
    for (const refused of replies) {
      expectErrorShape(refused, 503, 'overloaded')
      expect(refused.headers.get('retry-after')).toBe('1')
    }
    // The slot is still taken, and the routes outside the capacity model answer all the same.
    expect((await call(stack.url, 'GET', '/health')).status).toBe(200)
    expect((await call(stack.url, 'POST', '/admin/slowdown', { factor: 1000 })).status).toBe(200)
    expect(await metricValue(stack.url, 'crm_capacity_rejected_total')).toBe(2)
    expect(await metricValue(stack.url, 'crm_capacity_in_service')).toBe(1)

    // The held request ends: its slot comes back and the replica serves again.
    busy.release()
    await expectMetric(stack.url, 'crm_capacity_in_service', 0)
    expect((await call(stack.url, 'POST', '/admin/slowdown', { factor: 1 })).status).toBe(200)
    expect((await call(stack.url, 'GET', `/customers/${created.body.id}`)).status).toBe(200)
  })

  it('answers 503 overloaded with Retry-After when a shard refuses for capacity, never 500', async () => {
    const shard = await startShardServer({
      host: '127.0.0.1',
      port: 0,
      shardIndex: 0,
      capacity: { serviceTime: { kind: 'constant', ms: 60_000 }, slots: 1, queueLimit: 0, slowdown: 1 },
    })
    const replica = await startReplica({
      host: '127.0.0.1',
      port: 0,
      shards: [shard.url],
      store: 'embedded',
      partition: 'single',
      virtualNodes: 160,
      rangeStartMs: 0,
      rangeEndMs: 1,
      cache: 'none',
      cacheSize: 10,
      cacheTtlMs: 0,
      writePolicy: 'invalidate',
      capacity: { ...DEFAULT_CAPACITY },
    })
    stacks.push({
      url: replica.url,
      close: async () => {
        await replica.close()
        await shard.close()
      },
    })
    // The shard's only slot is taken (by a call straight to it) and it has no queue.
    const busy = holdRequest(`${shard.url}/rpc/countCustomers`, '{"args":[]}')
    await expectMetric(shard.url, 'shard_capacity_in_service{shard="0"}', 1)
    const refused = await call(replica.url, 'GET', '/customers/cus_0000000000aaaaaaaaaaaaaaaa')
    expectErrorShape(refused, 503, 'overloaded')
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
    busy.release()
    await expectMetric(shard.url, 'shard_capacity_in_service{shard="0"}', 0)
  })

  it('answers /ready 503 and 503 shard_unavailable (not 500) when a shard is down', async () => {
    // A shard address nobody listens on any more: the replica starts (shards may come up later)
    // and must say what is wrong.
    const gone = await startShardServer({ host: '127.0.0.1', port: 0, shardIndex: 0, capacity: { ...DEFAULT_CAPACITY } })
    const url = gone.url
    await gone.close()
    const replica = await startReplica({
      host: '127.0.0.1',
      port: 0,
      shards: [url],
      store: 'embedded',
      partition: 'single',
      virtualNodes: 160,
      rangeStartMs: 0,
      rangeEndMs: 1,
      cache: 'none',
      cacheSize: 10,
      cacheTtlMs: 0,
      writePolicy: 'invalidate',
      capacity: { ...DEFAULT_CAPACITY },
    })
    stacks.push({ url: replica.url, close: () => replica.close() })
    const ready = await call(replica.url, 'GET', '/ready')
    expectErrorShape(ready, 503, 'not_ready')
    expect(ready.body.error.message).toContain('shard 0')
    expect((await call(replica.url, 'GET', '/health')).status).toBe(200)
    expectErrorShape(await call(replica.url, 'GET', '/customers/cus_0000000000aaaaaaaaaaaaaaaa'), 503, 'shard_unavailable')
    expectErrorShape(await call(replica.url, 'POST', '/customers', newCustomer()), 503, 'shard_unavailable')
  })
})

const held: { release(): void }[] = []

/** A request the test holds open (waiting for or holding a capacity slot) until release() aborts it; afterEach releases any left. */
function holdRequest(url: string, body?: string): { release(): void } {
  const controller = new AbortController()
  const init: RequestInit = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body }
  fetch(url, { ...init, signal: controller.signal }).catch(() => undefined)
  const hold = { release: () => controller.abort() }
  held.push(hold)
  return hold
}

/** The value of one series (name with labels) on a /metrics page. */
async function metricValue(base: string, series: string): Promise<number | undefined> {
  const text = await fetch(`${base}/metrics`).then((r) => r.text())
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** Waits (by polling, with a generous timeout for a busy machine) until the series has `value`. */
async function expectMetric(base: string, series: string, value: number): Promise<void> {
  await expect.poll(() => metricValue(base, series), { timeout: 30_000, interval: 20 }).toBe(value)
}
