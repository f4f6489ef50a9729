import { describe, expect, it } from 'vitest'
import { customerIdTimeMs, newCustomerId } from '../../domain/customer-id.js'
import { createPartitionStrategy, keysMovedIfShardAdded } from './partition-registry.js'
import { customerIdsOverPastYear, spreadOf } from './sample-partition-keys.js'
import { defaultRangeWindow, RangePartition } from './range-partition.js'

const DAY = 86_400_000
const now = Date.UTC(2026, 10, 22, 15, 30)
const window = defaultRangeWindow(now)

describe('range partition (by customer-id time)', () => {
  it('defaults to UTC midnight 365 days ago up to UTC midnight today', () => {
    expect(new Date(window.rangeEndMs).toISOString()).toBe('2026-11-22T00:00:00.000Z')
    expect(window.rangeEndMs - window.rangeStartMs).toBe(365 * DAY)
  })

  it('sends every customer created now to the last shard', () => {
    const s = createPartitionStrategy('range', { shardCount: 4, ...window })
    for (let i = 0; i < 1000; i++) expect(s.shardFor(newCustomerId(now + i * 7))).toBe(3)
  })

  it('spreads customers created over the past year across the first N-1 shards evenly', () => {
    const s = createPartitionStrategy('range', { shardCount: 4, rangeStartMs: now - 365 * DAY, rangeEndMs: now })
    const { counts } = spreadOf((k) => s.shardFor(k), 4, customerIdsOverPastYear(30_000, now))
    expect(counts[3]).toBe(0)
    for (const c of counts.slice(0, 3)) expect(Math.abs(c - 10_000)).toBeLessThan(50)
  })

  it('puts customers older than the window on shard 0', () => {
    const s = createPartitionStrategy('range', { shardCount: 3, ...window })
    expect(s.shardFor(newCustomerId(window.rangeStartMs - 30 * DAY))).toBe(0)
  })

  it('maps keys that are not customer ids (email claims) deterministically and evenly', () => {
    const a = createPartitionStrategy('range', { shardCount: 4, ...window })
    const b = createPartitionStrategy('range', { shardCount: 4, ...window })
    const emails = Array.from({ length: 40_000 }, (_, i) => `email:person${i}@example.org`)
    for (const e of emails.slice(0, 1000)) expect(a.shardFor(e)).toBe(b.shardFor(e))
    expect(spreadOf((k) => a.shardFor(k), 4, emails).maxDeviation).toBeLessThan(0.05)
  })

  it('declares id bounds per shard that hold exactly the ids shardFor sends there', () => {
    const s = new RangePartition(4, window.rangeStartMs, window.rangeEndMs)
    const bounds = [0, 1, 2, 3].map((i) => s.idBoundsOf(i))
    expect(bounds[0]!.from).toBeNull()
    expect(bounds[3]!.to).toBeNull()
    for (let i = 1; i < 4; i++) expect(bounds[i]!.from).toBe(bounds[i - 1]!.to)
    const inBounds = (id: string, b: { from: string | null; to: string | null }): boolean => (b.from === null || id >= b.from) && (b.to === null || id < b.to)
    const ids = [...customerIdsOverPastYear(5_000, now), newCustomerId(window.rangeStartMs - DAY), newCustomerId(now + DAY)]
    // The ms either side of every boundary, where rounding would show.
    for (const b of bounds.slice(1)) {
      const t = customerIdTimeMs(b.from as string) as number
      ids.push(newCustomerId(t - 1), newCustomerId(t), b.from as string)
    }
    for (const id of ids) expect(bounds.findIndex((b) => inBounds(id, b))).toBe(s.shardFor(id))
  })

  it('uses one shard for everything when there is one shard', () => {
    const s = createPartitionStrategy('range', { shardCount: 1, ...window })
    expect(s.shardFor(newCustomerId(now))).toBe(0)
    expect(s.shardFor('email:a@b.c')).toBe(0)
  })

  it('re-splits the window when a shard is added, so many keys move', () => {
    expect(keysMovedIfShardAdded('range', { shardCount: 4, ...window }, customerIdsOverPastYear(10_000, window.rangeEndMs))).toBeGreaterThan(0.3)
  })
})
