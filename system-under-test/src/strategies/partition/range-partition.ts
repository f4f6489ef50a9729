import { customerIdFloor, customerIdTimeMs } from '../../domain/customer-id.js'
import type { PartitionStrategy } from './partition-strategy.js'
import { stableHash32 } from './stable-hash.js'

// `range`: customers are placed by the creation time encoded in their id. The window
// [start, end) is split evenly among the first N-1 shards; the last shard takes everything from
// `end` on. Seeded customers (created over the past year) spread over all shards, while every
// customer created now lands on the last shard: the hot-shard consequence range partitioning has
// in real systems. Keys that carry no time (email claims, `email:<email>`) are hashed so they
// still map deterministically and evenly.

const DAY_MS = 86_400_000

/** Called by the replica CLI for its `--range-start`/`--range-end` defaults: UTC midnight 365 days ago to UTC midnight today. */
export function defaultRangeWindow(nowMs: number = Date.now()): { rangeStartMs: number; rangeEndMs: number } {
  const todayMidnight = Math.floor(nowMs / DAY_MS) * DAY_MS
  return { rangeStartMs: todayMidnight - 365 * DAY_MS, rangeEndMs: todayMidnight }
}

export class RangePartition implements PartitionStrategy {
  readonly name = 'range' as const
  readonly shardCount: number
  readonly rangeStartMs: number
  readonly rangeEndMs: number
  private readonly scan: number[]

  constructor(shardCount: number, rangeStartMs: number, rangeEndMs: number) {
    this.shardCount = shardCount
    this.rangeStartMs = rangeStartMs
    this.rangeEndMs = rangeEndMs
    this.scan = Array.from({ length: shardCount }, (_, i) => i)
  }

  shardFor(key: string): number {
    if (this.shardCount === 1) return 0
    const t = customerIdTimeMs(key)
    if (t === null) return stableHash32(key) % this.shardCount
    const last = this.shardCount - 1
    if (t >= this.rangeEndMs) return last
    if (t < this.rangeStartMs) return 0
    const slot = Math.floor(((t - this.rangeStartMs) / (this.rangeEndMs - this.rangeStartMs)) * last)
    return Math.min(slot, last - 1)
  }

  /**
   * The customer ids `shard` holds as a half-open interval [from, to) of ids (null = unbounded):
   * what a store with native range partitions (PostgreSQL) declares, so the database and this
   * strategy agree on every id. Found by searching shardFor itself, not by recomputing its
   * arithmetic, so rounding at a boundary cannot make them disagree.
   */
  idBoundsOf(shard: number): { from: string | null; to: string | null } {
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.shardCount) throw new RangeError(`shard ${shard} is not one of 0..${this.shardCount - 1}`)
    return {
      from: shard === 0 ? null : customerIdFloor(this.firstMsOf(shard)),
      to: shard === this.shardCount - 1 ? null : customerIdFloor(this.firstMsOf(shard + 1)),
    }
  }

  /** The first ms whose customers go to `shard` or a later one (shard >= 1; shardFor is monotone in time). */
  private firstMsOf(shard: number): number {
    let below = this.rangeStartMs - 1 // shardFor(below) is 0 < shard
    let atOrAbove = this.rangeEndMs // shardFor(rangeEnd) is the last shard >= shard
    while (atOrAbove - below > 1) {
      const mid = Math.floor((below + atOrAbove) / 2)
      if (this.shardFor(customerIdFloor(mid)) >= shard) atOrAbove = mid
      else below = mid
    }
    return atOrAbove
  }

  shardsForScan(): number[] {
    return this.scan.slice()
  }
}
