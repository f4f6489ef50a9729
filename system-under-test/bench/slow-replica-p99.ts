// `make bench` (balancer part): what routing around a slow replica buys users. Three real
// replicas (one slot, 10 ms each) behind the built-in balancer, one made ten times slower; users
// arrive at a fixed rate whatever the answers do (open model). Round-robin keeps sending the slow
// replica a third, more than it can serve, so its queue grows and p99 reaches seconds;
// least-connections and p2c should keep p99 near the slow replica's 100 ms. Target: their p99 is
// under half of round-robin's. (The test suite checks the request shares, which do not depend on
// this machine's speed; this is the latency figure.)
//
//   npm run build && npx tsx system-under-test/bench/slow-replica-p99.ts
//   env: BENCH_RATE (45 req/s), BENCH_DURATION_S (5), BENCH_ROUNDS (3), BENCH_TARGET_RATIO (0.5)
// Rounds rotate the strategies' order; the verdict uses the median of the per-round ratios.
// Exit code: 0 when both ratios meet the target, 99 when one does not, 1 on errors.

import { startCrmCluster, type CrmCluster } from '../test/support/balancer-crm-cluster.js'
import { percentile, runLoad, runOpenLoad, send } from '../test/support/balancer-http.js'
import { spawnRole, stopAll } from '../test/support/sut-processes.js'
import { envNumber, median, runBench } from './bench-support.js'

const RATE = envNumber('BENCH_RATE', 45)
const DURATION_S = envNumber('BENCH_DURATION_S', 5)
const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 3))
const TARGET = envNumber('BENCH_TARGET_RATIO', 0.5)
const STRATEGIES = ['round-robin', 'least-connections', 'p2c'] as const

/** p99 (ms) of one open-model run through a fresh balancer with `strategy`. */
async function p99Through(cluster: CrmCluster, strategy: string): Promise<number> {
  const lb = await spawnRole('balancer', [
    '--port',
    '0',
    '--strategy',
    strategy,
    '--backends',
    cluster.replicas.map((r) => r.url).join(','),
    '--health-interval-ms',
    '1000',
    '--health-timeout-ms',
    '5000',
    '--fall',
    '3',
  ])
  try {
    const path = (i: number): string => `/customers/${cluster.customerIds[i % cluster.customerIds.length]}`
    await runLoad(lb.url, { total: 30, concurrency: 3, path }) // warm-up: connections, JIT
    const results = await runOpenLoad(lb.url, { ratePerSec: RATE, durationMs: DURATION_S * 1000, maxInFlight: 500, path })
    const failed = results.filter((r) => r.status !== 200).length
    if (failed > 0) throw new Error(`${strategy}: ${failed} of ${results.length} requests failed`)
    return percentile(
      results.map((r) => r.latencyMs),
      99,
    )
  } finally {
    await lb.stop()
  }
}

async function main(): Promise<void> {
  try {
    const cluster = await startCrmCluster({ replicas: 3, serviceMs: 10, slots: 1, seedCustomers: 100 })
    const slowed = await send(cluster.replicas[2].url, '/admin/slowdown', { method: 'POST', body: { factor: 10 } })
    if (slowed.status !== 200) throw new Error(`slowing replica-3 failed: ${slowed.status}`)
    const ratios: Record<'least-connections' | 'p2c', number[]> = { 'least-connections': [], p2c: [] }
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...STRATEGIES.slice(round % 3), ...STRATEGIES.slice(0, round % 3)]
      const p99: Record<string, number> = {}
      // Each run waits for every answer, so the slow replica's queue is empty before the next.
      for (const strategy of order) p99[strategy] = await p99Through(cluster, strategy)
      ratios['least-connections'].push(p99['least-connections'] / p99['round-robin'])
      ratios.p2c.push(p99.p2c / p99['round-robin'])
      process.stdout.write(`round ${round + 1}: p99 ms ${STRATEGIES.map((s) => `${s} ${p99[s].toFixed(0)}`).join(', ')}\n`)
    }
    const lc = median(ratios['least-connections'])
    const p2c = median(ratios.p2c)
    const passed = lc < TARGET && p2c < TARGET
    process.stdout.write(
      [
        '',
        `one replica of three ten times slower, ${RATE} req/s for ${DURATION_S} s (open model), p99 relative to round-robin (median of ${ROUNDS} rounds)`,
        `  least-connections  ${lc.toFixed(3)}   target < ${TARGET}`,
        `  p2c                ${p2c.toFixed(3)}   target < ${TARGET}`,
        `  ${passed ? 'PASS' : 'FAIL'}`,
        `BENCH_RESULT ${JSON.stringify({ bench: 'slow-replica-p99', leastConnections: lc, p2c, ratios, target: TARGET, rate: RATE, durationS: DURATION_S, rounds: ROUNDS })}`,
        '',
      ].join('\n'),
    )
    process.exitCode = passed ? 0 : 99
  } finally {
    await stopAll()
  }
}

runBench(main)
