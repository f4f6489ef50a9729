import type { PartitionStrategy } from './partition-strategy.js'
import { stableHash32 } from './stable-hash.js'

/**
 * `hash`: hash(key) modulo the shard count. Even spread, but adding a shard changes the modulus,
 * so most keys move (N/(N+1) of them): the cost consistent hashing avoids.
 */
export class HashPartition implements PartitionStrategy {
  readonly name = 'hash' as const
  readonly shardCount: number
  private readonly scan: number[]

  constructor(shardCount: number) {
    this.shardCount = shardCount
    this.scan = Array.from({ length: shardCount }, (_, i) => i)
  }

  shardFor(key: string): number {
    return stableHash32(key) % this.shardCount
  }

  shardsForScan(): number[] {
    return this.scan.slice()
  }
}
