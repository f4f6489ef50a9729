import { describe, expect, it } from 'vitest'
import { mergeSearchPages } from './merge-search-pages.js'
import type { Customer } from './records.js'

const c = (name: string, id: string): Customer => ({
  id,
  name,
  email: `${id}@example.com`,
  company: 'C',
  segment: 'smb',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
})

describe('mergeSearchPages', () => {
  it('merges per-shard pages into (lower-cased name, id) order and stops at the limit', () => {
    const shard0 = [c('alpha', 'b'), c('Beta', 'a'), c('delta', 'z')]
    const shard1 = [c('Alpha', 'c'), c('beta', 'c'), c('gamma', 'a')]
    const shard2: Customer[] = []
    expect(mergeSearchPages([shard0, shard1, shard2], 10).map((x) => `${x.name}/${x.id}`)).toEqual([
      'alpha/b',
      'Alpha/c',
      'Beta/a',
      'beta/c',
      'delta/z',
      'gamma/a',
    ])
    expect(mergeSearchPages([shard0, shard1], 3).map((x) => x.id)).toEqual(['b', 'c', 'a'])
  })

  it('returns nothing for no pages or a zero limit', () => {
    expect(mergeSearchPages([], 5)).toEqual([])
    expect(mergeSearchPages([[c('a', 'a')]], 0)).toEqual([])
  })
})
