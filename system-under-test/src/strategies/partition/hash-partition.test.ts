import { describe, expect, it } from 'vitest'
import { createPartitionStrategy, keysMovedIfShardAdded } from './partition-registry.js'
import { customerIdsOverPastYear, spreadOf } from './sample-partition-keys.js'

const keys = customerIdsOverPastYear(100_000, Date.UTC(2026, 10, 22))

describe('hash partition (modulo)', () => {
  it.each([2, 3, 4, 8])('spreads 100k customer ids over %i shards within 5%% of even', (n) => {
    const s = createPartitionStrategy('hash', { shardCount: n })
    const { counts, maxDeviation } = spreadOf((k) => s.shardFor(k), n, keys)
    expect(counts.every((c) => c > 0)).toBe(true)
    expect(maxDeviation).toBeLessThan(0.05)
  })

  it('spreads email-claim keys evenly too', () => {
    const emails = Array.from({ length: 100_000 }, (_, i) => `email:user${i}@example.com`)
    const s = createPartitionStrategy('hash', { shardCount: 4 })
    expect(spreadOf((k) => s.shardFor(k), 4, emails).maxDeviation).toBeLessThan(0.05)
  })

  it.each([2, 4, 8])('moves most keys (N/(N+1)) when a shard is added to %i', (n) => {
    const moved = keysMovedIfShardAdded('hash', { shardCount: n }, keys)
    expect(moved).toBeGreaterThan(0.5)
    expect(moved).toBeCloseTo(n / (n + 1), 1)
  })

  it('scans every shard', () => {
    expect(createPartitionStrategy('hash', { shardCount: 3 }).shardsForScan()).toEqual([0, 1, 2])
  })
})
