import fc from 'fast-check'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BalancerSnapshot } from '../src/balancer/balancer-control.js'
import { send } from './support/balancer-http.js'
import { describeCase, hostileCase, type HostileCase } from './support/hostile-requests.js'
import { rawRequest } from './support/raw-http.js'
import { spawnRole, stopAll, TEST_ADMIN_HEADERS, type SpawnedRole } from './support/sut-processes.js'

// Fuzzing the CRM with generated hostile requests (test/support/hostile-requests.ts), 5,000 to a
// replica directly and 5,000 through the built-in balancer, on real processes. What must hold
// for every one of them: no 5xx (the only one allowed is 503 `overloaded` with Retry-After, which
// the capacity model answers on purpose); an answer (or a closed connection) within 30 s, never a
// hang (the hangs this catches last until the server's 300 s request timeout; 30 s is far beyond
// any answer on a loaded machine); and afterwards the data written before is intact, the replica ready and no backend of
// the balancer ejected. The seed is printed; FUZZ_SEED=<n> replays a run, FUZZ_RUNS=<n> sets the
// number of batches per target.

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
const BATCHES = Number(process.env.FUZZ_RUNS ?? 100)
const BATCH_SIZE = 50
const CONCURRENCY = 16
const HANG_MS = 30_000

let shards: SpawnedRole[]
let replica: SpawnedRole
let balancer: SpawnedRole
/** The seeded customers and their 360 views as stored before the fuzzing. */
let before: Map<string, { customer: unknown; view: unknown }>

beforeAll(async () => {
  shards = await Promise.all([0, 1].map((i) => spawnRole('shard', ['--port', '0', '--shard-index', String(i)])))
  const shardUrls = shards.map((s) => s.url).join(',')
  replica = await spawnRole('replica', ['--port', '0', '--name', 'fuzzed', '--shards', shardUrls, '--cache', 'lru'])
  const second = await spawnRole('replica', ['--port', '0', '--name', 'second', '--shards', shardUrls, '--cache', 'lru'])
  balancer = await spawnRole('balancer', ['--port', '0', '--backends', `${replica.url},${second.url}`, '--eject-after', '3'])
  const customers = Array.from({ length: 30 }, (_, i) => ({
    name: `Keep ${i}`,
    email: `keep${i}@fuzz.test`,
    company: 'Intact',
    segment: 'enterprise',
    createdAt: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
  }))
  const seeded = await send(replica.url, '/admin/customers/bulk', { method: 'POST', body: { customers }, headers: TEST_ADMIN_HEADERS })
  expect(seeded.status).toBe(201)
  before = new Map()
  for (const id of (seeded.body as { ids: string[] }).ids) {
    expect((await send(replica.url, `/customers/${id}/deals`, { method: 'POST', body: { title: 'Keep', amount: 10 } })).status).toBe(201)
    before.set(id, await snapshot(replica.url, id))
  }
})

afterAll(async () => {
  await stopAll()
})

async function snapshot(base: string, id: string): Promise<{ customer: unknown; view: unknown }> {
  const noCache = { 'cache-control': 'no-cache' }
  const [customer, view] = await Promise.all([send(base, `/customers/${id}`, { headers: noCache }), send(base, `/customers/${id}/360`, { headers: noCache })])
  return { customer: customer.body, view: view.body }
}

interface Outcome {
  status: number | null
  code?: string
  retryAfter?: string
  /** Why there was no answer in time (a hang), or undici's error. */
  failure?: string
}

async function sendCase(target: string, pool: Pool, c: HostileCase): Promise<Outcome> {
  if (c.kind === 'raw') {
    const answer = await rawRequest(target, c.bytes, HANG_MS)
    if (answer.timedOut) return { status: answer.status, failure: `no complete answer within ${HANG_MS} ms` }
    return { status: answer.status, code: errorCode(answer.body), retryAfter: answer.headers['retry-after'] }
  }
  try {
    const res = await pool.request({ method: c.method as 'GET', path: c.path, headers: c.headers, body: c.body, headersTimeout: HANG_MS, bodyTimeout: HANG_MS })
    const text = await res.body.text()
    const retryAfter = res.headers['retry-after']
    return { status: res.statusCode, code: errorCode(text), retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined }
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    // The server closing a connection after refusing a request (e.g. a 413 sent before the body
    // was read) may cut the sending of that body: an answer, not a hang.
    if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') return { status: null }
    return { status: null, failure: `${code} ${(error as Error).message}` }
  }
}

function errorCode(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code
  } catch {
    return undefined
  }
}

/** What may not happen: a hang, or a 5xx other than the capacity model's deliberate 503. */
function problemWith(outcome: Outcome): string | null {
  if (outcome.failure !== undefined) return outcome.failure
  if (outcome.status === null || outcome.status < 500) return null
  if (outcome.status === 503 && outcome.code === 'overloaded' && outcome.retryAfter !== undefined) return null
  return `answered ${outcome.status} ${outcome.code ?? ''}`
}

async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        results[i] = await work(items[i]!)
      }
    }),
  )
  return results
}

describe('fuzzing with hostile requests', () => {
  for (const targetName of ['replica', 'balancer'] as const) {
    it(`${targetName}: ${BATCHES * BATCH_SIZE} hostile requests, no 5xx but deliberate 503s, no hang`, async () => {
      const target = targetName === 'replica' ? replica.url : balancer.url
      const pool = new Pool(target, { connections: CONCURRENCY })
      let sent = 0
      const statuses = new Map<string, number>()
      console.log(`fuzzing the ${targetName} with seed ${SEED} (FUZZ_SEED=${SEED} replays it)`)
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(hostileCase, { minLength: BATCH_SIZE, maxLength: BATCH_SIZE }), async (batch) => {
            const outcomes = await inParallel(batch, CONCURRENCY, (c) => sendCase(target, pool, c))
            sent += batch.length
            outcomes.forEach((o, i) => {
              const key = String(o.status)
              statuses.set(key, (statuses.get(key) ?? 0) + 1)
              const problem = problemWith(o)
              if (problem !== null) throw new Error(`${problem} for ${describeCase(batch[i]!)}`)
            })
          }),
          // No shrinking: a failing batch is reported with the request that failed, and shrinking
          // would resend thousands of requests.
          { seed: SEED, numRuns: BATCHES, endOnFailure: true },
        )
      } finally {
        await pool.close()
      }
      console.log(`${sent} requests to the ${targetName}; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`)
      expect(sent).toBe(BATCHES * BATCH_SIZE)
      // Only a backstop for a stuck run, not a speed target: every request is held to HANG_MS on
      // its own, and a loaded machine makes 5,000 requests to real processes take minutes.
    }, 600_000)
  }

  it('leaves the data written before intact, the replica ready and every backend in service', async () => {
    for (const [id, was] of before) expect(await snapshot(replica.url, id), id).toEqual(was)
    expect((await send(replica.url, '/ready')).status).toBe(200)
    const state = (await send(balancer.adminUrl!, '/admin/backends')).body as BalancerSnapshot
    for (const backend of state.backends) expect(backend, backend.url).toMatchObject({ up: true, ejections: 0 })
    for (const member of [replica, balancer, ...shards]) expect(member.process.exitCode, member.role).toBeNull()
  })
})
