// `make bench` (storage part): how long one bulk insert into the in-memory shard store takes,
// the path every run's seeding goes through. Targets: 10,000 customers in under a second, and
// 4x the customers in under 8x the time (the sorted indexes must stay n log n: a quadratic path
// would take 16x). A test cannot check this on a shared machine; the median of several rounds
// here can.
//
//   npx tsx system-under-test/bench/shard-store-bulk.ts
//   env: BENCH_ROUNDS (5), BENCH_CUSTOMERS (10000), BENCH_TARGET_MS (1000), BENCH_TARGET_GROWTH (8)
// Exit code: 0 when both targets are met, 99 when one is not, 1 on errors.

import { newCustomerId } from '../src/domain/customer-id.js'
import type { Customer } from '../src/domain/records.js'
import { MemoryShardStore } from '../src/storage/memory-shard-store.js'
import { envNumber, median, runBench } from './bench-support.js'

const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 5))
const CUSTOMERS = Math.round(envNumber('BENCH_CUSTOMERS', 10_000))
const TARGET_MS = envNumber('BENCH_TARGET_MS', 1000)
const TARGET_GROWTH = envNumber('BENCH_TARGET_GROWTH', 8)

function customers(n: number): Customer[] {
  const base = Date.UTC(2025, 0, 1)
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(base + i * 1000).toISOString()
    return {
      id: newCustomerId(base + i * 1000),
      name: `Person ${i}`,
      email: `p${i}@example.com`,
      company: `Company ${i % 97}`,
      segment: 'smb',
      createdAt: at,
      updatedAt: at,
      version: 1,
    }
  })
}

/** Milliseconds of one insertCustomers call of `batch` into an empty store. */
async function timeBulk(batch: readonly Customer[]): Promise<number> {
  const store = new MemoryShardStore()
  await store.init()
  const started = performance.now()
  await store.insertCustomers([...batch])
  const ms = performance.now() - started
  if ((await store.countCustomers()) !== batch.length) throw new Error(`the store holds ${await store.countCustomers()} customers, not ${batch.length}`)
  return ms
}

async function main(): Promise<void> {
  const small = customers(CUSTOMERS)
  const large = customers(CUSTOMERS * 4)
  await timeBulk(small) // warm-up: JIT
  const smallMs: number[] = []
  const largeMs: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    smallMs.push(await timeBulk(small))
    largeMs.push(await timeBulk(large))
  }
  const ms = median(smallMs)
  const growth = median(largeMs) / ms
  const passed = ms < TARGET_MS && growth < TARGET_GROWTH
  process.stdout.write(
    [
      `MemoryShardStore.insertCustomers, one bulk call, median of ${ROUNDS} rounds`,
      `  ${CUSTOMERS.toLocaleString('en-US')} customers  ${ms.toFixed(1).padStart(8)} ms   target < ${TARGET_MS} ms`,
      `  ${(CUSTOMERS * 4).toLocaleString('en-US')} customers  ${median(largeMs).toFixed(1).padStart(8)} ms   growth x${growth.toFixed(2)} for 4x the customers, target < x${TARGET_GROWTH}`,
      `  ${passed ? 'PASS' : 'FAIL'}`,
      `BENCH_RESULT ${JSON.stringify({ bench: 'shard-store-bulk', customers: CUSTOMERS, ms, largeMs: median(largeMs), growth, targetMs: TARGET_MS, targetGrowth: TARGET_GROWTH, rounds: ROUNDS })}`,
      '',
    ].join('\n'),
  )
  process.exitCode = passed ? 0 : 99
}

runBench(main)
