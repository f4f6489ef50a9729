// Stale reads through the shared redis cache, counted the way a client sees them: two replicas
// over one shard and one redis, a few writers updating a small set of customers through either
// replica, readers reading them through either replica. A read is stale when it returns a
// version older than one already acknowledged to a writer before the read was sent. The shard
// has an emulated service time so that reads and writes overlap as they do under real load.
//
//   npm run build && npx tsx system-under-test/bench/redis-stale-reads.ts   (needs redis-server)
//   env: BENCH_DURATION_S (10 per write policy), BENCH_CUSTOMERS (5),
//        BENCH_SHARD_SERVICE_TIME (exp:3: exponential, so some reads are slow enough to span a write)
//
// Prints reads, stale reads and writes per write policy. Exit code 99 when any read was stale
// (the README promises none), 0 otherwise.

import { request } from 'undici'
import { startTempRedis } from '../test/support/redis-server.js'
import { spawnRole, stopAll, TEST_ADMIN_HEADERS } from '../test/support/sut-processes.js'
import { envNumber, runBench } from './bench-support.js'

const DURATION_S = envNumber('BENCH_DURATION_S', 10)
const CUSTOMERS = Math.round(envNumber('BENCH_CUSTOMERS', 5))
const SHARD_SERVICE_TIME = process.env.BENCH_SHARD_SERVICE_TIME ?? 'exp:3'
const WRITERS = 2
const READERS = 6

interface Tally {
  reads: number
  stale: number
  writes: number
  failed: number
}

async function measure(policy: 'invalidate' | 'write-through', redisUrl: string): Promise<Tally> {
  const shard = await spawnRole('shard', ['--port', '0', '--service-time', SHARD_SERVICE_TIME, '--slots', '16', '--queue-limit', '1000'])
  const replicaArgs = [
    '--port',
    '0',
    '--shards',
    shard.url,
    '--partition',
    'single',
    '--cache',
    'redis',
    '--redis',
    redisUrl,
    '--cache-ttl-ms',
    '60000',
    '--write-policy',
    policy,
  ]
  const replicas = [await spawnRole('replica', replicaArgs), await spawnRole('replica', replicaArgs)]
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => ({
    name: `Stale ${i}`,
    email: `stale-${policy}-${i}-${Date.now()}@example.com`,
    company: 'C',
    segment: 'smb',
    createdAt: '2025-06-01T00:00:00Z',
  }))
  const seeded = await fetch(`${replicas[0].url}/admin/customers/bulk`, {
    method: 'POST',
    headers: { ...TEST_ADMIN_HEADERS },
    body: JSON.stringify({ customers }),
  })
  if (seeded.status !== 201) throw new Error(`seeding failed: ${seeded.status} ${await seeded.text()}`)
  const ids = ((await seeded.json()) as { ids: string[] }).ids
  /** Highest version acknowledged to a writer, per customer. */
  const acknowledged = new Map<string, number>(ids.map((id) => [id, 1]))
  const tally: Tally = { reads: 0, stale: 0, writes: 0, failed: 0 }
  const deadline = performance.now() + DURATION_S * 1000
  const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]

  const writer = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const id = pick(ids)
      const res = await request(`${pick(replicas).url}/customers/${id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ company: `C${tally.writes}` }),
      })
      const body = (await res.body.json()) as { version?: number }
      if (res.statusCode !== 200 || body.version === undefined) {
        tally.failed++
        continue
      }
      tally.writes++
      acknowledged.set(id, Math.max(acknowledged.get(id)!, body.version))
    }
  }
  const reader = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const id = pick(ids)
      const floor = acknowledged.get(id)!
      const res = await request(`${pick(replicas).url}/customers/${id}`)
      const body = (await res.body.json()) as { version?: number }
      if (res.statusCode !== 200 || body.version === undefined) {
        tally.failed++
        continue
      }
      tally.reads++
      if (body.version < floor) tally.stale++
    }
  }
  await Promise.all([...Array.from({ length: WRITERS }, writer), ...Array.from({ length: READERS }, reader)])
  await Promise.all([...replicas, shard].map((p) => p.stop()))
  return tally
}

async function main(): Promise<void> {
  const redis = await startTempRedis()
  let stale = 0
  try {
    console.log(
      `2 replicas, 1 shard (service time ${SHARD_SERVICE_TIME} ms), redis cache; ${WRITERS} writers, ${READERS} readers over ${CUSTOMERS} customers, ${DURATION_S} s per policy`,
    )
    for (const policy of ['invalidate', 'write-through'] as const) {
      const t = await measure(policy, redis.url)
      stale += t.stale
      console.log(
        `${policy.padEnd(13)} ${String(t.reads).padStart(7)} reads  ${String(t.stale).padStart(4)} stale  ${String(t.writes).padStart(6)} writes  ${t.failed} failed requests`,
      )
    }
  } finally {
    await stopAll()
    await redis.stop()
  }
  process.exit(stale > 0 ? 99 : 0)
}

runBench(main)
