import type { PartitionStrategy } from './partition-strategy.js'

/**
 * `single`: every key on shard 0, the baseline the other strategies are compared with. Other
 * configured shards stay idle, which is the point: it shows what one shard alone can do.
 */
export class SinglePartition implements PartitionStrategy {
  readonly name = 'single' as const
  readonly shardCount: number

  constructor(shardCount: number) {
    this.shardCount = shardCount
  }

  shardFor(_key: string): number {
    return 0
  }

  shardsForScan(): number[] {
    return [0]
  }
}
