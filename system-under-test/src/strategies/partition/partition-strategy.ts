// Which shard holds a key. Every replica builds the same strategy from the same flags, so they
// agree without talking to each other.

import { PARTITION_STRATEGIES, type PartitionStrategyName } from '../../contract/strategy-names.js'

// The names are part of the contract with the harness.
export { PARTITION_STRATEGIES, type PartitionStrategyName }

export interface PartitionStrategy {
  readonly name: PartitionStrategyName
  readonly shardCount: number
  /** Called on every keyed request: the shard index (0-based) that owns `key` (a customer id or `email:<email>`). */
  shardFor(key: string): number
  /** Called for queries without a partition key (prefix search): the shards to fan out to. */
  shardsForScan(): number[]
}

export interface PartitionOptions {
  shardCount: number
  /** consistent-hash: virtual nodes per shard. */
  virtualNodes?: number
  /**
   * range: the time window [start, end) that the first N-1 shards split evenly by customer-id
   * time; the last shard takes everything from end onwards, so new customers land there.
   */
  rangeStartMs?: number
  rangeEndMs?: number
}
