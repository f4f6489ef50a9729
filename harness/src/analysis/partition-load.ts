import type { RunResult, SuiteAnalysis } from '../results/results-schema.js'

// Per-shard load share of a cell, from the shard request counters the SUT reported (summed over
// repetitions). The hottest shard's share is what limits a partitioned store: with N shards the
// even share is 1/N, and range partitions under a `latest` workload push new keys to one shard.

export type PartitionLoad = NonNullable<SuiteAnalysis['partitions']>[number]

/** Called per cell by analyzeSuite; null when no run of the cell reported shard counts. */
export function partitionLoad(cellLabel: string, runs: readonly RunResult[]): PartitionLoad | null {
  const totals: Record<string, number> = {}
  for (const r of runs) for (const [shard, count] of Object.entries(r.sut.shards)) if (Number.isFinite(count)) totals[shard] = (totals[shard] ?? 0) + count
  const sum = Object.values(totals).reduce((s, v) => s + v, 0)
  if (!(sum > 0)) return null
  const shareByShard: Record<string, number> = {}
  for (const shard of Object.keys(totals).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))) shareByShard[shard] = totals[shard]! / sum
  const hottestShare = Math.max(...Object.values(shareByShard))
  const moved = runs.map((r) => r.sut.keysMovedIfShardAdded).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  return {
    cellLabel,
    shareByShard,
    hottestShare,
    ...(moved.length > 0 ? { keysMovedIfShardAdded: moved.reduce((s, v) => s + v, 0) / moved.length } : {}),
  }
}

/** A sentence when one shard takes clearly more than its even share (1.5×), else null. */
export function hotShardNote(p: PartitionLoad, shardCount: number): string | null {
  const shards = Math.max(shardCount, Object.keys(p.shareByShard).length)
  if (shards < 2) return null
  const even = 1 / shards
  if (p.hottestShare < 1.5 * even) return null
  const hottest = Object.entries(p.shareByShard).sort((a, b) => b[1] - a[1])[0]
  if (hottest === undefined) return null
  const [hot] = hottest
  return `${p.cellLabel}: shard ${hot} takes ${(p.hottestShare * 100).toFixed(0)}% of shard requests (even share ${(even * 100).toFixed(0)}%): a hot shard limits this partitioning`
}
