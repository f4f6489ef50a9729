// What the embedded shard's durability costs a write: PATCH /customers/:id through a replica over
// one shard started with --durability none, everysec and always (the append-only log on this
// machine's temp disk). The three stacks run side by side and are driven alternately in short
// slices, so load from neighbours on a shared machine hits each level alike; figures are the
// medians over the slices.
//
//   npm run build && npx tsx system-under-test/bench/shard-durability-cost.ts
//   env: BENCH_DURATION_S (6: measured seconds per level), BENCH_SLICE_S (2), BENCH_CONNECTIONS (16)
//
// Prints writes/s, p50 and p99 per level and each level's p50 relative to `none`. No target: the
// cost of an fsync depends on the disk. Figures from a busy machine are noisy; compare on a quiet run.

import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { spawnRole, stopAll, TEST_ADMIN_HEADERS } from '../test/support/sut-processes.js'
import { envNumber, median, runBench } from './bench-support.js'

const DURATION_S = envNumber('BENCH_DURATION_S', 6)
const SLICE_S = Math.max(1, Math.round(envNumber('BENCH_SLICE_S', 2)))
const CONNECTIONS = Math.round(envNumber('BENCH_CONNECTIONS', 16))
const ROUNDS = Math.max(1, Math.ceil(DURATION_S / SLICE_S))
const CUSTOMERS = 200
const LEVELS = ['none', 'everysec', 'always'] as const

interface Slice {
  writesPerSecond: number
  p50Ms: number
  p99Ms: number
  failures: number
}

async function startStack(level: (typeof LEVELS)[number], dir: string): Promise<{ url: string; ids: string[]; dataFile: string | null }> {
  const dataFile = level === 'none' ? null : path.join(dir, `${level}.aof`)
  const shard = await spawnRole('shard', ['--port', '0', '--durability', level, ...(dataFile ? ['--data-file', dataFile] : [])])
  const replica = await spawnRole('replica', ['--port', '0', '--shards', shard.url, '--partition', 'single'])
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => ({
    name: `Cost ${i}`,
    email: `cost-${level}-${i}@example.com`,
    company: 'C',
    segment: 'smb',
    createdAt: '2025-06-01T00:00:00Z',
  }))
  const res = await fetch(`${replica.url}/admin/customers/bulk`, { method: 'POST', headers: { ...TEST_ADMIN_HEADERS }, body: JSON.stringify({ customers }) })
  if (res.status !== 201) throw new Error(`seeding the ${level} stack failed: ${res.status} ${await res.text()}`)
  return { url: replica.url, ids: ((await res.json()) as { ids: string[] }).ids, dataFile }
}

async function drive(url: string, ids: readonly string[], seconds: number): Promise<Slice> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: ids.slice(0, 100).map((id, i) => ({
      method: 'PATCH',
      path: `/customers/${id}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ company: `Company ${i}` }),
    })),
  })
  return { writesPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, failures: result.non2xx + result.errors }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-durability-bench-'))
  try {
    const stacks = new Map<string, Awaited<ReturnType<typeof startStack>>>()
    for (const level of LEVELS) stacks.set(level, await startStack(level, dir))
    // Warm-up: one short slice each, not counted.
    for (const level of LEVELS) await drive(stacks.get(level)!.url, stacks.get(level)!.ids, 1)
    const slices = new Map<string, Slice[]>(LEVELS.map((l) => [l, []]))
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate which level goes first, so none is always measured right after another.
      const order = LEVELS.map((_, i) => LEVELS[(i + round) % LEVELS.length])
      for (const level of order) slices.get(level)!.push(await drive(stacks.get(level)!.url, stacks.get(level)!.ids, SLICE_S))
    }
    console.log(`PATCH /customers/:id through one replica over one shard, ${CONNECTIONS} connections, ${ROUNDS} x ${SLICE_S} s per level`)
    const baseP50 = median(slices.get('none')!.map((s) => s.p50Ms))
    for (const level of LEVELS) {
      const s = slices.get(level)!
      const p50 = median(s.map((x) => x.p50Ms))
      const failures = s.reduce((sum, x) => sum + x.failures, 0)
      const file = stacks.get(level)!.dataFile
      console.log(
        `${level.padEnd(9)} ${median(s.map((x) => x.writesPerSecond))
          .toFixed(0)
          .padStart(7)} writes/s  p50 ${p50.toFixed(1).padStart(6)} ms  p99 ${median(s.map((x) => x.p99Ms))
          .toFixed(1)
          .padStart(6)} ms` +
          `  p50 x${(p50 / Math.max(baseP50, 0.001)).toFixed(2)} of none${failures > 0 ? `  (${failures} failed requests)` : ''}${file ? `  log ${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB` : ''}`,
      )
    }
  } finally {
    await stopAll()
    rmSync(dir, { recursive: true, force: true })
  }
}

runBench(main)
