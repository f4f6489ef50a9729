import type { PartitionStrategy } from './partition-strategy.js'
import { stableHash32 } from './stable-hash.js'

// `consistent-hash`: a ring of 2^32 positions with virtual nodes; a key belongs to the first
// virtual node at or after its hash (binary search), wrapping around.
//
// Where the virtual nodes sit is decided the way Cassandra's token allocation does it, not by
// hashing node names: with hashed positions the share of a shard varies by about 1/sqrt(vnodes)
// (8% at 160), which would make "consistent-hash is uneven" a finding of our dice rather than of
// the strategy. Instead shard 0 gets evenly spaced vnodes, and each added shard places its vnodes
// inside the largest arcs of the shards already there, taking exactly the share that brings every
// shard to 1/N. The ring for N shards is the ring for N-1 plus the new shard's vnodes, so adding a
// shard moves only the keys that now belong to it: 1/(N+1) of them, the minimum possible.

const RING_SIZE = 2 ** 32

interface Ring {
  /** Vnode positions, ascending; the last is always RING_SIZE - 1 so no arc wraps. */
  points: Uint32Array
  /** Shard index of each vnode, parallel to `points`. */
  owners: Int32Array
}

function buildRing(shardCount: number, virtualNodes: number): Ring {
  let points: number[] = []
  let owners: number[] = []
  for (let i = 0; i < virtualNodes; i++) {
    points.push(Math.floor(((i + 1) * RING_SIZE) / virtualNodes) - 1)
    owners.push(0)
  }
  for (let added = 1; added < shardCount; added++) {
    // Arcs: vnode i owns [points[i-1] + 1, points[i]] (from 0 for the first).
    const arcsByShard: { start: number; length: number }[][] = Array.from({ length: added }, () => [])
    for (let i = 0; i < points.length; i++) {
      const start = i === 0 ? 0 : points[i - 1]! + 1
      arcsByShard[owners[i]!]!.push({ start, length: points[i]! - start + 1 })
    }
    const target = RING_SIZE / (added + 1)
    const newPoints: number[] = []
    for (let shard = 0; shard < added; shard++) {
      const arcs = arcsByShard[shard]!
      const share = arcs.reduce((sum, a) => sum + a.length, 0)
      const give = share - target
      if (give < 1) continue
      const quota = Math.max(1, Math.floor(virtualNodes / added) + (shard < virtualNodes % added ? 1 : 0))
      // Largest arcs first (ties by position, so the result never depends on sort stability).
      arcs.sort((a, b) => b.length - a.length || a.start - b.start)
      const chosen = arcs.slice(0, quota)
      const chosenTotal = chosen.reduce((sum, a) => sum + a.length, 0)
      for (const arc of chosen) {
        // Proportional to the arc, so the largest arcs shrink most and arcs stay even.
        const take = Math.min(arc.length - 1, Math.round((give * arc.length) / chosenTotal))
        if (take >= 1) newPoints.push(arc.start + take - 1)
      }
    }
    const merged = points.map((p, i) => ({ p, o: owners[i]! }))
    for (const p of newPoints) merged.push({ p, o: added })
    merged.sort((a, b) => a.p - b.p)
    points = merged.map((m) => m.p)
    owners = merged.map((m) => m.o)
  }
  return { points: Uint32Array.from(points), owners: Int32Array.from(owners) }
}

export class ConsistentHashPartition implements PartitionStrategy {
  readonly name = 'consistent-hash' as const
  readonly shardCount: number
  private readonly ring: Ring
  private readonly scan: number[]

  constructor(shardCount: number, virtualNodes: number) {
    this.shardCount = shardCount
    this.ring = buildRing(shardCount, virtualNodes)
    this.scan = Array.from({ length: shardCount }, (_, i) => i)
  }

  shardFor(key: string): number {
    const h = stableHash32(key)
    const { points, owners } = this.ring
    let lo = 0
    let hi = points.length - 1
    // First vnode with position >= h; the last vnode sits at the ring's end, so one always exists.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (points[mid]! < h) lo = mid + 1
      else hi = mid
    }
    return owners[lo]!
  }

  shardsForScan(): number[] {
    return this.scan.slice()
  }

  /** Called by tests and diagnostics: how many vnodes the ring holds. */
  vnodeCount(): number {
    return this.ring.points.length
  }
}
