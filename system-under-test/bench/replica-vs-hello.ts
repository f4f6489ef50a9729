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

import { spawnListening, stopAll, type SpawnedRole } from '../test/support/sut-processes.js'
import {
  customerPaths,
  envNumber,
  failuresOf,
  meanRps,
  measure,
  median,
  REQUEST_ENTRIES,
  runBench,
  startSeededReplica,
  worstP99,
  type Measured,
} from './bench-support.js'

const DURATION_S = envNumber('BENCH_DURATION_S', 10)
const CONNECTIONS = Math.round(envNumber('BENCH_CONNECTIONS', 50))
const SLICE_S = Math.max(1, Math.round(envNumber('BENCH_SLICE_S', 2)))
const ROUNDS = Math.max(1, Math.ceil(DURATION_S / SLICE_S))
const CUSTOMERS = Math.round(envNumber('BENCH_CUSTOMERS', 1000))
const TARGET = envNumber('BENCH_TARGET_RATIO', 0.6)
/** The replica's longer code path needs a few seconds of load before the JIT has settled. */
const WARMUP_S = Math.max(1, Math.round(envNumber('BENCH_WARMUP_S', 3)))

// A default Express app, as its README shows it: the anchor the replica is compared with.
const HELLO_SERVER = `
import express from 'express'
const app = express()
app.get('/', (req, res) => { res.send('Hello World!') })
const server = app.listen(0, '127.0.0.1', () => console.log('LISTENING http://127.0.0.1:' + server.address().port))
const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop); process.on('SIGINT', stop)
`

const drive = (url: string, paths: readonly string[], seconds: number): Promise<Measured> => measure(url, paths, seconds, CONNECTIONS)

/** Confirms every customer read once is now a cache hit (the comparison is with a warm cache). */
async function assertWarm(replicaUrl: string, id: string): Promise<void> {
  const probe = await fetch(`${replicaUrl}/customers/${id}`)
  await probe.arrayBuffer()
  if (probe.headers.get('x-cache') !== 'hit') throw new Error('the cache is not warm after reading every customer once: check --cache-size')
}

async function main(): Promise<void> {
  let hello: SpawnedRole
  let replica: { url: string; ids: string[] }
  try {
    hello = await spawnListening('hello-express', ['--input-type=module', '-e', HELLO_SERVER])
    replica = await startSeededReplica(CUSTOMERS, 'bench')
  } catch (error) {
    await stopAll()
    throw error
  }
  try {
    await assertWarm(replica.url, replica.ids[0])
    const helloPaths = Array.from({ length: REQUEST_ENTRIES }, () => '/')
    const replicaPaths = customerPaths(replica.ids)

    process.stdout.write(`warming up both servers (${WARMUP_S} s each), then ${ROUNDS} round(s) of ${SLICE_S} s per target, ${CONNECTIONS} connections\n`)
    await drive(hello.url, helloPaths, WARMUP_S)
    await drive(replica.url, replicaPaths, WARMUP_S)

    const helloRuns: Measured[] = []
    const replicaRuns: Measured[] = []
    const roundRatios: number[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      let h: Measured
      let r: Measured
      if (round % 2 === 1) {
        h = await drive(hello.url, helloPaths, SLICE_S)
        r = await drive(replica.url, replicaPaths, SLICE_S)
      } else {
        r = await drive(replica.url, replicaPaths, SLICE_S)
        h = await drive(hello.url, helloPaths, SLICE_S)
      }
      helloRuns.push(h)
      replicaRuns.push(r)
      roundRatios.push(r.requestsPerSecond / h.requestsPerSecond)
      process.stdout.write(
        `round ${round}: hello ${h.requestsPerSecond.toFixed(0)} req/s, replica ${r.requestsPerSecond.toFixed(0)} req/s, ratio ${roundRatios[round - 1].toFixed(3)}\n`,
      )
    }
    const helloRps = meanRps(helloRuns)
    const replicaRps = meanRps(replicaRuns)
    const ratio = median(roundRatios)
    const failures = failuresOf([...helloRuns, ...replicaRuns])

    process.stdout.write(
      [
        '',
        'replica (warm lru, GET /customers/:id) vs bare Express hello-world',
        `  hello-world  ${helloRps.toFixed(0).padStart(8)} req/s   p99 ${worstP99(helloRuns)} ms`,
        `  replica      ${replicaRps.toFixed(0).padStart(8)} req/s   p99 ${worstP99(replicaRuns)} ms`,
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

runBench(main)
