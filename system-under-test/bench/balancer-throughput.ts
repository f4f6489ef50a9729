// Issue 3 "Performance": requests per second to one replica directly, through the built-in
// balancer, and through HAProxy, side by side in one run with the same load generator settings.
// Target: the built-in balancer keeps at least 70% of direct throughput; HAProxy is the anchor.
//
//   npm run build && npx tsx system-under-test/bench/balancer-throughput.ts
//   env: BENCH_DURATION_S (10, per measured round and target), BENCH_CONNECTIONS (50),
//        BENCH_ROUNDS (3), BENCH_CUSTOMERS (1000), BENCH_TARGET_RATIO (0.70)
//
// The backend is a real replica (warm `lru` cache, GET /customers/:id, over one shard server);
// if the replica cannot start, a bare node:http server instead, and the output says so. Every
// server is a child process, so the load generator (this process) shares no event loop with
// them. Rounds rotate the order of the three targets; the verdict uses the median of the
// per-round ratios so one neighbour's burst on a shared machine cannot decide it.
// Exit code: 0 when the ratio meets the target, 99 when it does not, 1 on errors.

import { spawnListening, spawnRole, stopAll, type SpawnedRole } from '../test/support/sut-processes.js'
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
const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 3))
const CUSTOMERS = Math.round(envNumber('BENCH_CUSTOMERS', 1000))
const TARGET = envNumber('BENCH_TARGET_RATIO', 0.7)

// Fallback backend: answers every GET with a small JSON body, like a cached customer read.
const BARE_BACKEND = `
import http from 'node:http'
const body = JSON.stringify({ id: 'cus_bench', name: 'Bench Customer', email: 'bench@example.com', company: 'LoadLab', segment: 'smb', version: 1 })
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body) })
server.keepAliveTimeout = 65000
server.listen(0, '127.0.0.1', () => console.log('LISTENING http://127.0.0.1:' + server.address().port))
const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop); process.on('SIGINT', stop)
`

const drive = (url: string, paths: readonly string[], seconds: number): Promise<Measured> => measure(url, paths, seconds, CONNECTIONS)

/** A real replica with a warm cache, or the bare backend when the replica is not available. */
async function startBackend(): Promise<{ url: string; paths: string[]; kind: string }> {
  try {
    const replica = await startSeededReplica(CUSTOMERS, 'lb-bench')
    return { url: replica.url, paths: customerPaths(replica.ids), kind: 'real CRM replica (warm lru cache, GET /customers/:id)' }
  } catch (error) {
    process.stderr.write(`replica unavailable (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); using a bare node:http backend\n`)
    await stopAll()
    const bare = await spawnListening('bare-backend', ['--input-type=module', '-e', BARE_BACKEND])
    return { url: bare.url, paths: Array.from({ length: REQUEST_ENTRIES }, () => '/customers/cus_bench'), kind: 'bare node:http backend (replica unavailable)' }
  }
}

async function main(): Promise<void> {
  let targets: { name: string; url: string }[]
  let backend: Awaited<ReturnType<typeof startBackend>>
  try {
    backend = await startBackend()
    const builtin: SpawnedRole = await spawnRole('balancer', ['--port', '0', '--strategy', 'round-robin', '--backends', backend.url])
    const haproxy: SpawnedRole = await spawnRole('balancer', ['--port', '0', '--strategy', 'round-robin', '--engine', 'haproxy', '--backends', backend.url])
    targets = [
      { name: 'direct', url: backend.url },
      { name: 'builtin', url: builtin.url },
      { name: 'haproxy', url: haproxy.url },
    ]
  } catch (error) {
    await stopAll()
    throw error
  }
  try {
    process.stdout.write(
      `backend: ${backend.kind}\nwarming up each target (1 s), then ${ROUNDS} round(s) of ${DURATION_S} s per target, ${CONNECTIONS} connections\n`,
    )
    for (const t of targets) await drive(t.url, backend.paths, 1)

    const runs = new Map<string, Measured[]>(targets.map((t) => [t.name, []]))
    const builtinRatios: number[] = []
    const haproxyRatios: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so drift on a shared machine hits every target alike.
      const order = targets.map((_, i) => targets[(i + round) % targets.length])
      const measured: Record<string, Measured> = {}
      for (const t of order) measured[t.name] = await drive(t.url, backend.paths, DURATION_S)
      for (const t of targets) runs.get(t.name)!.push(measured[t.name])
      builtinRatios.push(measured.builtin.requestsPerSecond / measured.direct.requestsPerSecond)
      haproxyRatios.push(measured.haproxy.requestsPerSecond / measured.direct.requestsPerSecond)
      process.stdout.write(
        `round ${round + 1}: ${targets.map((t) => `${t.name} ${measured[t.name].requestsPerSecond.toFixed(0)}`).join(', ')} req/s; builtin/direct ${builtinRatios[round].toFixed(3)}, haproxy/direct ${haproxyRatios[round].toFixed(3)}\n`,
      )
    }
    const mean = (name: string) => meanRps(runs.get(name)!)
    const p99 = (name: string) => worstP99(runs.get(name)!)
    const builtinRatio = median(builtinRatios)
    const haproxyRatio = median(haproxyRatios)
    const failures = failuresOf([...runs.values()].flat())
    const pass = builtinRatio >= TARGET && failures === 0
    process.stdout.write(
      [
        '',
        `balancer throughput, one backend: ${backend.kind}`,
        ...targets.map((t) => `  ${t.name.padEnd(8)} ${mean(t.name).toFixed(0).padStart(8)} req/s   p99 ${p99(t.name)} ms`),
        `  builtin/direct  ${builtinRatio.toFixed(3)}  (median of ${ROUNDS} round(s))  target >= ${TARGET.toFixed(2)}  ${builtinRatio >= TARGET ? 'PASS' : 'FAIL'}`,
        `  haproxy/direct  ${haproxyRatio.toFixed(3)}  (the anchor)`,
        `  builtin/haproxy ${(mean('builtin') / mean('haproxy')).toFixed(3)}`,
        failures > 0 ? `  WARNING: ${failures} non-2xx responses or errors: the figures are not comparable` : '',
        `BENCH_RESULT ${JSON.stringify({ bench: 'balancer-throughput', backend: backend.kind, directRps: mean('direct'), builtinRps: mean('builtin'), haproxyRps: mean('haproxy'), builtinRatio, haproxyRatio, builtinRatios, haproxyRatios, target: TARGET, durationS: DURATION_S, connections: CONNECTIONS, rounds: ROUNDS, failures })}`,
        '',
      ].join('\n'),
    )
    process.exitCode = pass ? 0 : 99
  } finally {
    await stopAll()
  }
}

runBench(main)
