import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_CAPACITY } from '../src/capacity/create-capacity-model.js'
import { startDownstream, type StartedDownstream } from '../src/downstream/start-downstream.js'
import type { ReplicaOptions } from '../src/replica/replica-options.js'
import { startReplica } from '../src/replica/start-replica.js'
import { startShardServer } from '../src/storage/embedded-shard-server.js'
import { runToExit, TEST_ADMIN_TOKEN } from './support/sut-processes.js'

// The CRM side of the sync strategies without a broker: the changes endpoint a scheduled puller
// reads, the puller resuming from its stored watermark after a restart, and sync-call turning a
// downstream that is gone into 503 downstream_unavailable.

const dir = mkdtempSync(path.join(tmpdir(), 'sync-downstream-'))
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function startCrm(overrides: Partial<ReplicaOptions> = {}): Promise<string> {
  const shards = await Promise.all([0, 1].map((shardIndex) => startShardServer({ host: '127.0.0.1', port: 0, shardIndex, capacity: { ...DEFAULT_CAPACITY } })))
  closers.push(() => Promise.all(shards.map((s) => s.close())).then(() => undefined))
  const replica = await startReplica({
    host: '127.0.0.1',
    port: 0,
    shards: shards.map((s) => s.url),
    store: 'embedded',
    partition: 'hash',
    virtualNodes: 160,
    rangeStartMs: Date.parse('2025-01-01T00:00:00Z'),
    rangeEndMs: Date.parse('2026-01-01T00:00:00Z'),
    cache: 'none',
    cacheSize: 100,
    cacheTtlMs: 30_000,
    writePolicy: 'invalidate',
    capacity: { ...DEFAULT_CAPACITY },
    adminToken: TEST_ADMIN_TOKEN,
    ...overrides,
  })
  closers.push(() => replica.close())
  return replica.url
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, init)
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) }
}

const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const admin = { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }

async function createCustomer(crm: string, i: number): Promise<{ id: string; version: number }> {
  const r = await json(`${crm}/customers`, post({ name: `Cust ${i}`, email: `c${i}-${Date.now()}@sync.test`, company: 'C', segment: 'smb' }))
  expect(r.status).toBe(201)
  return r.body
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('changes endpoint and scheduled pull', () => {
  it('GET /admin/changes needs the admin token, pages with a cursor, and refuses a tampered cursor naming `after`', async () => {
    const crm = await startCrm()
    const a = await createCustomer(crm, 1)
    await json(`${crm}/customers/${a.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ company: 'D' }) })
    expect((await json(`${crm}/admin/changes`)).status).toBe(401)
    const first = await json(`${crm}/admin/changes?limit=1`, admin)
    expect(first.status).toBe(200)
    expect(first.body.items.map((e: { id: string; version: number }) => [e.id, e.version])).toEqual([[a.id, 1]])
    expect(first.body.caughtUp).toBe(false)
    const second = await json(`${crm}/admin/changes?limit=10&after=${first.body.cursor}`, admin)
    expect(second.body.items.map((e: { id: string; version: number }) => [e.id, e.version])).toEqual([[a.id, 2]])
    expect(second.body.caughtUp).toBe(true)
    const bad = await json(`${crm}/admin/changes?after=AAAA`, admin)
    expect(bad.status).toBe(400)
    expect(bad.body.error.details[0].field).toBe('after')
  })

  it('a restarted puller resumes from its stored watermark: everything arrives, nothing twice', async () => {
    const crm = await startCrm()
    const dataFile = path.join(dir, 'pull.aof')
    const start = () => startDownstream({ host: '127.0.0.1', port: 0, dataFile, pullFrom: [crm], adminToken: TEST_ADMIN_TOKEN, intervalMs: 20, batch: 2 })
    let downstream: StartedDownstream = await start()
    const ids = [await createCustomer(crm, 2), await createCustomer(crm, 3), await createCustomer(crm, 4)].map((c) => c.id)
    const versions = async (d: StartedDownstream) => (await json(`${d.url}/versions`, post({ ids }))).body.versions as Array<number | null>
    await until(async () => (await versions(downstream)).every((v) => v === 1), 'downstream has the three customers')
    await downstream.close()
    await json(`${crm}/customers/${ids[0]}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ company: 'Later' }) })
    downstream = await start()
    closers.push(() => downstream.close())
    await until(async () => (await versions(downstream))[0] === 2, 'the change made while downstream was down arrives')
    const stats = (await json(`${downstream.url}/stats`)).body
    expect(stats).toMatchObject({ records: 3, applied: 4, duplicates: 0 })
  })
})

describe('sync-call', () => {
  it('acknowledges a write only after downstream has it, and answers 503 downstream_unavailable when downstream is gone', async () => {
    const downstream = await startDownstream({ host: '127.0.0.1', port: 0, intervalMs: 1000, batch: 10 })
    const crm = await startCrm({ syncCallUrl: downstream.url, syncCallTimeoutMs: 1_000 })
    const c = await createCustomer(crm, 5)
    expect((await json(`${downstream.url}/records/${c.id}`)).body).toMatchObject({ version: 1, deleted: false })
    await downstream.close()
    const failed = await json(`${crm}/customers/${c.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ company: 'Gone' }),
    })
    expect(failed.status).toBe(503)
    expect(failed.body.error.code).toBe('downstream_unavailable')
    expect(failed.headers.get('x-dependency-unavailable')).toBe('downstream')
  })
})

describe('downstream CLI', () => {
  it.each([
    [['--consume', 'amqp://127.0.0.1:5672', '--pull-from', 'http://127.0.0.1:8001'], /--consume .* or --pull-from .*not both/],
    [['--consume', 'http://127.0.0.1:5672'], /--consume "http:\/\/127.0.0.1:5672": unknown broker scheme http:/],
    [['--pull-from', 'ftp://x'], /--pull-from: "ftp:\/\/x" is not an http:\/\/ replica URL/],
    [['--interval-ms', '0'], /--interval-ms/],
  ])('%o exits 2 naming the flag', async (args, message) => {
    const run = await runToExit(['downstream', ...args])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
  })
})
