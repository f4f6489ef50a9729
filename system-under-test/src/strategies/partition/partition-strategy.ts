// Which shard holds a key. Every replica builds the same strategy from the same flags, so they
// agree without talking to each other.

export const PARTITION_STRATEGIES = ['single', 'hash', 'consistent-hash', 'range'] as const
export type PartitionStrategyName = (typeof PARTITION_STRATEGIES)[number]

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
