import { newCustomerId } from '../../domain/customer-id.js'

// Realistic partition keys: customer ids created evenly over the past year, which is what the
// strategies see once a dataset is seeded. The replica samples them for the
// crm_partition_keys_moved_if_shard_added_ratio gauge; the partition tests measure spread with them.
const YEAR_MS = 365 * 86_400_000

/** Called by the replica at start-up (gauge sample) and by tests: `count` customer ids created evenly over the year before `nowMs`. */
export function customerIdsOverPastYear(count: number, nowMs: number): string[] {
  const keys: string[] = []
  for (let i = 0; i < count; i++) keys.push(newCustomerId(nowMs - YEAR_MS + Math.floor((i * YEAR_MS) / count)))
  return keys
}

/** Called by the partition tests: how many of `keys` each shard gets, and the worst relative deviation from an even share. */
export function spreadOf(shardFor: (key: string) => number, shardCount: number, keys: readonly string[]): { counts: number[]; maxDeviation: number } {
  const counts = new Array<number>(shardCount).fill(0)
  for (const k of keys) counts[shardFor(k)]!++
  const mean = keys.length / shardCount
  return { counts, maxDeviation: Math.max(...counts.map((c) => Math.abs(c - mean) / mean)) }
}
