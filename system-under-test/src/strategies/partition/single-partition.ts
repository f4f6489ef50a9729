import type { PartitionStrategy } from './partition-strategy.js'

/** `single`: everything on shard 0, the baseline that every other strategy is compared with. */
export class SinglePartition implements PartitionStrategy {
  readonly name = 'single' as const
  readonly shardCount = 1

  shardFor(_key: string): number {
    return 0
  }

  shardsForScan(): number[] {
    return [0]
  }
}
