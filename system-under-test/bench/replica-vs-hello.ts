// Issue 2 "Performance": one replica with a warm `lru` cache serving GET /customers/:id must reach
// at least 60% of the requests per second of a bare Express hello-world route, measured side by
// side in one run with the same load generator and settings.
//
//   npm run build && npx tsx system-under-test/bench/replica-vs-hello.ts
//   env: BENCH_DURATION_S (10: measured seconds per target), BENCH_SLICE_S (2), BENCH_CONNECTIONS
//        (50), BENCH_WARMUP_S (3), BENCH_CUSTOMERS (1000), BENCH_TARGET_RATIO (0.60)
//
// Servers run as child processes so the load generator (this process) does not share an event
// loop with them. The measured time is cut into short slices, hello and replica back to back in
// each round (swapping which goes first), so load from neighbours on a shared machine hits both
// alike; the verdict uses the median of the per-round ratios, so a round disturbed by a burst
// cannot decide it. The ratio of the overall means is printed too.
// Exit code: 0 when the ratio meets the target, 99 when it does not, 1 on errors.

import autocannon from 'autocannon'
import { spawnListening, spawnRole, stopAll, type SpawnedRole } from '../test/support/sut-processes.js'

const int = (name: string, fallback: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`${name}=${raw} is not valid: use a positive number\n`)
    process.exit(2)
  }
  return n
}

const DURATION_S = int('BENCH_DURATION_S', 10)
const CONNECTIONS = Math.round(int('BENCH_CONNECTIONS', 50))
const SLICE_S = Math.max(1, Math.round(int('BENCH_SLICE_S', 2)))
const ROUNDS = Math.max(1, Math.ceil(DURATION_S / SLICE_S))
const CUSTOMERS = Math.round(int('BENCH_CUSTOMERS', 1000))
const TARGET = int('BENCH_TARGET_RATIO', 0.6)
/** The replica's longer code path needs a few seconds of load before the JIT has settled. */
const WARMUP_S = Math.max(1, Math.round(int('BENCH_WARMUP_S', 3)))
/** Distinct request entries per target, so the generator does the same work for both. */
const REQUEST_ENTRIES = 100

// A default Express app, as its README shows it: the anchor the replica is compared with.
const HELLO_SERVER = `
import express from 'express'
const app = express()
app.get('/', (req, res) => { res.send('Hello World!') })
const server = app.listen(0, '127.0.0.1', () => console.log('LISTENING http://127.0.0.1:' + server.address().port))
const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop); process.on('SIGINT', stop)
`

interface Measured { target: string; requestsPerSecond: number; non2xx: number; errors: number; p99Ms: number }

async function drive(target: string, url: string, paths: readonly string[], seconds: number): Promise<Measured> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: paths.map((path) => ({ method: 'GET', path })),
  })
  return { target, requestsPerSecond: result.requests.average, non2xx: result.non2xx, errors: result.errors, p99Ms: result.latency.p99 }
}

async function seed(replicaUrl: string): Promise<string[]> {
  const now = Date.now()
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => ({
    name: `Bench Customer ${i}`,
    email: `bench-${i}-${now}@example.com`,
    company: `Company ${i % 97}`,
    segment: (['smb', 'mid-market', 'enterprise'] as const)[i % 3],
    createdAt: new Date(now - (i + 1) * 60_000).toISOString(),
  }))
  const res = await fetch(`${replicaUrl}/admin/customers/bulk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customers }) })
  if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${await res.text()}`)
  const { ids } = (await res.json()) as { ids: string[] }
  // Warm the cache: every id read once, then confirm hits.
  await Promise.all(ids.map((id) => fetch(`${replicaUrl}/customers/${id}`).then((r) => r.arrayBuffer())))
  const probe = await fetch(`${replicaUrl}/customers/${ids[0]}`)
  await probe.arrayBuffer()
  if (probe.headers.get('x-cache') !== 'hit') throw new Error('the cache is not warm after reading every customer once: check --cache-size')
  return ids
}

async function main(): Promise<void> {
  let hello: SpawnedRole
  let replica: SpawnedRole
  try {
    hello = await spawnListening('hello-express', ['--input-type=module', '-e', HELLO_SERVER])
    const shard = await spawnRole('shard', ['--port', '0', '--shard-index', '0'])
    replica = await spawnRole('replica', ['--port', '0', '--shards', shard.url, '--partition', 'single', '--cache', 'lru', '--cache-size', String(CUSTOMERS * 2)])
  } catch (error) {
    await stopAll()
    throw error
  }
  try {
    const ids = await seed(replica.url)
    const helloPaths = Array.from({ length: REQUEST_ENTRIES }, () => '/')
    const replicaPaths = Array.from({ length: REQUEST_ENTRIES }, (_, i) => `/customers/${ids[(i * 7919) % ids.length]}`)

    process.stdout.write(`warming up both servers (${WARMUP_S} s each), then ${ROUNDS} round(s) of ${SLICE_S} s per target, ${CONNECTIONS} connections\n`)
    await drive('hello', hello.url, helloPaths, WARMUP_S)
    await drive('replica', replica.url, replicaPaths, WARMUP_S)

    const helloRuns: Measured[] = []
    const replicaRuns: Measured[] = []
    const roundRatios: number[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      let h: Measured
      let r: Measured
      if (round % 2 === 1) {
        h = await drive('hello', hello.url, helloPaths, SLICE_S)
        r = await drive('replica', replica.url, replicaPaths, SLICE_S)
      } else {
        r = await drive('replica', replica.url, replicaPaths, SLICE_S)
        h = await drive('hello', hello.url, helloPaths, SLICE_S)
      }
      helloRuns.push(h)
      replicaRuns.push(r)
      roundRatios.push(r.requestsPerSecond / h.requestsPerSecond)
      process.stdout.write(`round ${round}: hello ${h.requestsPerSecond.toFixed(0)} req/s, replica ${r.requestsPerSecond.toFixed(0)} req/s, ratio ${roundRatios[round - 1].toFixed(3)}\n`)
    }
    const mean = (runs: Measured[]) => runs.reduce((sum, m) => sum + m.requestsPerSecond, 0) / runs.length
    const helloRps = mean(helloRuns)
    const replicaRps = mean(replicaRuns)
    const sortedRatios = [...roundRatios].sort((a, b) => a - b)
    const mid = Math.floor(sortedRatios.length / 2)
    const ratio = sortedRatios.length % 2 === 1 ? sortedRatios[mid] : (sortedRatios[mid - 1] + sortedRatios[mid]) / 2
    const failures = [...helloRuns, ...replicaRuns].reduce((sum, r) => sum + r.non2xx + r.errors, 0)

    process.stdout.write(
      [
        '',
        'replica (warm lru, GET /customers/:id) vs bare Express hello-world',
        `  hello-world  ${helloRps.toFixed(0).padStart(8)} req/s   p99 ${Math.max(...helloRuns.map((r) => r.p99Ms))} ms`,
        `  replica      ${replicaRps.toFixed(0).padStart(8)} req/s   p99 ${Math.max(...replicaRuns.map((r) => r.p99Ms))} ms`,
        `  ratio        ${ratio.toFixed(3)}  (median of ${ROUNDS} round ratio(s); of the means: ${(replicaRps / helloRps).toFixed(3)})  target >= ${TARGET.toFixed(2)}  ${ratio >= TARGET ? 'PASS' : 'FAIL'}`,
        failures > 0 ? `  WARNING: ${failures} non-2xx responses or errors: the figures are not comparable` : '',
        `BENCH_RESULT ${JSON.stringify({ bench: 'replica-vs-hello', helloRps, replicaRps, ratio, roundRatios, target: TARGET, durationS: DURATION_S, sliceS: SLICE_S, connections: CONNECTIONS, rounds: ROUNDS, failures })}`,
        '',
      ].join('\n'),
    )
    process.exitCode = ratio >= TARGET && failures === 0 ? 0 : 99
  } finally {
    await stopAll()
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  await stopAll()
  process.exit(1)
})
