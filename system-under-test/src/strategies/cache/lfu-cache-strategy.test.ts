import { describe, expect, it } from 'vitest'
import { LfuCacheStrategy } from './lfu-cache-strategy.js'

describe('lfu cache', () => {
  it('evicts the least frequently used entry, even if it was used last', async () => {
    const cache = new LfuCacheStrategy({ size: 2, ttlMs: 0 })
    await cache.set('a', 'A')
    await cache.set('b', 'B')
    for (let i = 0; i < 5; i++) await cache.get('a')
    await cache.get('b') // b is the most recent, but used less often
    await cache.set('c', 'C')
    expect(await cache.get('b')).toBeUndefined()
    expect(await cache.get('a')).toBe('A')
    expect(await cache.get('c')).toBe('C')
    expect(cache.stats()).toEqual({ hits: 8, misses: 1, evictions: 1, size: 2 })
  })

  it('breaks ties by recency: among equally used entries the least recent goes', async () => {
    const cache = new LfuCacheStrategy({ size: 2, ttlMs: 0 })
    await cache.set('a', 'A')
    await cache.set('b', 'B')
    await cache.get('a')
    await cache.get('b') // both used twice; a's last use is older
    await cache.set('c', 'C')
    expect(await cache.get('a')).toBeUndefined()
    expect(await cache.get('b')).toBe('B')
  })

  it('a new entry is the first candidate to go (it has been used once)', async () => {
    const cache = new LfuCacheStrategy({ size: 2, ttlMs: 0 })
    await cache.set('a', 'A')
    await cache.get('a')
    await cache.set('b', 'B')
    await cache.set('c', 'C') // evicts b (1 use), not a (2 uses)
    await cache.set('d', 'D') // evicts c, the newest, for the same reason
    expect(await cache.get('a')).toBe('A')
    expect(await cache.get('b')).toBeUndefined()
    expect(await cache.get('c')).toBeUndefined()
    expect(await cache.get('d')).toBe('D')
    expect(cache.stats().evictions).toBe(2)
  })

  it('setIfNewer never puts an older version over a newer one', async () => {
    const cache = new LfuCacheStrategy({ size: 10, ttlMs: 0 })
    await cache.setIfNewer('c1', { version: 5 }, 5)
    expect(await cache.setIfNewer('c1', { version: 4 }, 4)).toBe(false)
    expect(await cache.get('c1')).toEqual({ version: 5 })
  })
})
