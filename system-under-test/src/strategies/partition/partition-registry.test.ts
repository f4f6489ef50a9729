import { describe, expect, it } from 'vitest'
import { createPartitionStrategy, keysMovedIfShardAdded } from './partition-registry.js'
import { PARTITION_STRATEGIES } from './partition-strategy.js'
import { customerIdsOverPastYear } from './sample-partition-keys.js'

const keys = [...customerIdsOverPastYear(5000, Date.now()), ...Array.from({ length: 1000 }, (_, i) => `email:u${i}@x.io`)]
const options = { shardCount: 5, virtualNodes: 64, rangeStartMs: Date.UTC(2025, 10, 22), rangeEndMs: Date.UTC(2026, 10, 22) }

describe('partition registry', () => {
  it.each(PARTITION_STRATEGIES)('%s maps every key to the same shard in two separately built instances', (name) => {
    const a = createPartitionStrategy(name, options)
    const b = createPartitionStrategy(name, options)
    expect(a.name).toBe(name)
    for (const k of keys) {
      const shard = a.shardFor(k)
      expect(shard).toBe(b.shardFor(k))
      expect(shard).toBeGreaterThanOrEqual(0)
      expect(shard).toBeLessThan(5)
    }
  })

  it('single keeps everything on shard 0 and never moves keys', () => {
    const s = createPartitionStrategy('single', options)
    expect(new Set(keys.map((k) => s.shardFor(k)))).toEqual(new Set([0]))
    expect(s.shardsForScan()).toEqual([0])
    expect(keysMovedIfShardAdded('single', options, keys)).toBe(0)
  })

  it('rejects an unknown strategy naming the allowed ones', () => {
    expect(() => createPartitionStrategy('modulo', options)).toThrow(/unknown partition strategy "modulo".*single, hash, consistent-hash, range/)
  })

  it('rejects unusable options naming the flag', () => {
    expect(() => createPartitionStrategy('hash', { shardCount: 0 })).toThrow(/--shards/)
    expect(() => createPartitionStrategy('consistent-hash', { shardCount: 2, virtualNodes: 0 })).toThrow(/--virtual-nodes/)
    expect(() => createPartitionStrategy('range', { shardCount: 2, rangeStartMs: 10, rangeEndMs: 5 })).toThrow(/--range-end/)
  })

  it('reports 0 moved keys for an empty sample', () => {
    expect(keysMovedIfShardAdded('hash', options, [])).toBe(0)
  })
})
