import { describe, expect, it } from 'vitest'
import { ConsistentHashPartition } from './consistent-hash-partition.js'
import { createPartitionStrategy, keysMovedIfShardAdded } from './partition-registry.js'
import { customerIdsOverPastYear, spreadOf } from './sample-partition-keys.js'

const keys = customerIdsOverPastYear(100_000, Date.UTC(2026, 10, 22))

describe('consistent-hash partition (ring with virtual nodes)', () => {
  it.each([2, 3, 4, 5, 8])('spreads 100k customer ids over %i shards within 5%% of even', (n) => {
    const s = createPartitionStrategy('consistent-hash', { shardCount: n })
    expect(spreadOf((k) => s.shardFor(k), n, keys).maxDeviation).toBeLessThan(0.05)
  })

  it.each([1, 2, 3, 4, 7])('moves about 1/(N+1) of the keys when a shard is added to %i', (n) => {
    const moved = keysMovedIfShardAdded('consistent-hash', { shardCount: n }, keys)
    expect(Math.abs(moved - 1 / (n + 1))).toBeLessThan(0.01)
  })

  it('moves keys only onto the new shard, never between old ones', () => {
    const four = createPartitionStrategy('consistent-hash', { shardCount: 4 })
    const five = createPartitionStrategy('consistent-hash', { shardCount: 5 })
    for (const k of keys.slice(0, 20_000)) {
      const after = five.shardFor(k)
      if (after !== four.shardFor(k)) expect(after).toBe(4)
    }
  })

  it('gives each shard about the requested number of virtual nodes', () => {
    expect(new ConsistentHashPartition(1, 160).vnodeCount()).toBe(160)
    expect(new ConsistentHashPartition(4, 160).vnodeCount()).toBe(640)
    // Fewer vnodes than shards still yields a working, complete ring.
    const tiny = new ConsistentHashPartition(6, 2)
    const seen = new Set(keys.slice(0, 5000).map((k) => tiny.shardFor(k)))
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5])
  })
})
