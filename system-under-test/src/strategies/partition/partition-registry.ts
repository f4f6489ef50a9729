import { ConfigurationError } from '../../config/configuration-error.js'
import { ConsistentHashPartition } from './consistent-hash-partition.js'
import { HashPartition } from './hash-partition.js'
import { PARTITION_STRATEGIES, type PartitionOptions, type PartitionStrategy, type PartitionStrategyName } from './partition-strategy.js'
import { defaultRangeWindow, RangePartition } from './range-partition.js'
import { SinglePartition } from './single-partition.js'

/** Virtual nodes per shard when the caller does not say (the replica's `--virtual-nodes` default). */
export const DEFAULT_VIRTUAL_NODES = 160

function checkOptions(name: string, o: PartitionOptions): void {
  if (!Number.isInteger(o.shardCount) || o.shardCount < 1) {
    throw new ConfigurationError(`partition ${name}: shard count must be a whole number >= 1, got ${o.shardCount}; pass at least one shard with --shards`)
  }
  if (o.virtualNodes !== undefined && (!Number.isInteger(o.virtualNodes) || o.virtualNodes < 1 || o.virtualNodes > 10_000)) {
    throw new ConfigurationError(`partition ${name}: --virtual-nodes must be a whole number from 1 to 10000, got ${o.virtualNodes}`)
  }
  const { rangeStartMs, rangeEndMs } = o
  if (rangeStartMs !== undefined && rangeEndMs !== undefined && !(rangeEndMs > rangeStartMs)) {
    throw new ConfigurationError(
      `partition ${name}: --range-end (${new Date(rangeEndMs).toISOString()}) must be after --range-start (${new Date(rangeStartMs).toISOString()})`,
    )
  }
}

/**
 * Called once when a replica starts (and by tests): the strategy `name` over `options.shardCount`
 * shards. Deterministic: every replica given the same name and options maps every key alike.
 * Throws a message naming the flag to fix when the name or an option is unusable.
 */
export function createPartitionStrategy(name: string, options: PartitionOptions): PartitionStrategy {
  if (!(PARTITION_STRATEGIES as readonly string[]).includes(name)) {
    throw new ConfigurationError(`unknown partition strategy "${name}": use one of ${PARTITION_STRATEGIES.join(', ')} (--partition)`)
  }
  checkOptions(name, options)
  switch (name as PartitionStrategyName) {
    case 'single':
      return new SinglePartition(options.shardCount)
    case 'hash':
      return new HashPartition(options.shardCount)
    case 'consistent-hash':
      return new ConsistentHashPartition(options.shardCount, options.virtualNodes ?? DEFAULT_VIRTUAL_NODES)
    case 'range': {
      const defaults = defaultRangeWindow()
      return new RangePartition(options.shardCount, options.rangeStartMs ?? defaults.rangeStartMs, options.rangeEndMs ?? defaults.rangeEndMs)
    }
  }
}

/**
 * Called by the replica at start-up for the `crm_partition_keys_moved_if_shard_added_ratio` gauge:
 * the share (0..1) of `sampleKeys` whose shard would change if one shard were added to this
 * configuration. 0 for `single` and for an empty sample.
 */
export function keysMovedIfShardAdded(name: string, options: PartitionOptions, sampleKeys: readonly string[]): number {
  if (sampleKeys.length === 0) return 0
  const now = createPartitionStrategy(name, options)
  const grown = createPartitionStrategy(name, { ...options, shardCount: options.shardCount + 1 })
  let moved = 0
  for (const key of sampleKeys) if (now.shardFor(key) !== grown.shardFor(key)) moved++
  return moved / sampleKeys.length
}
