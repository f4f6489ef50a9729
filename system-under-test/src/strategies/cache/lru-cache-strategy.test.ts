import { describe, expect, it } from 'vitest'
import { LruCacheStrategy } from './lru-cache-strategy.js'

describe('lru cache', () => {
  it('evicts the least recently used entry when full', async () => {
    const cache = new LruCacheStrategy({ size: 2, ttlMs: 0 })
    await cache.set('a', { v: 'A' })
    await cache.set('b', { v: 'B' })
    expect(await cache.get('a')).toEqual({ v: 'A' }) // a is now more recent than b
    await cache.set('c', { v: 'C' })
    expect(await cache.get('b')).toBeUndefined()
    expect(await cache.get('a')).toEqual({ v: 'A' })
    expect(await cache.get('c')).toEqual({ v: 'C' })
    expect(cache.stats()).toEqual({ hits: 3, misses: 1, evictions: 1, size: 2 })
  })

  it('counts neither replacements nor deletes as evictions', async () => {
    const cache = new LruCacheStrategy({ size: 2, ttlMs: 0 })
    await cache.set('a', { n: 1 })
    await cache.set('a', { n: 2 })
    await cache.delete('a')
    await cache.delete('missing')
    expect(await cache.get('a')).toBeUndefined()
    expect(cache.stats()).toEqual({ hits: 0, misses: 1, evictions: 0, size: 0 })
  })

  it('setIfNewer never puts an older version over a newer one', async () => {
    const cache = new LruCacheStrategy({ size: 10, ttlMs: 0 })
    expect(await cache.setIfNewer('c1', { id: 'c1', version: 3 }, 3)).toBe(true)
    expect(await cache.setIfNewer('c1', { id: 'c1', version: 2 }, 2)).toBe(false)
    expect(await cache.get('c1')).toEqual({ id: 'c1', version: 3 })
    expect(await cache.setIfNewer('c1', { id: 'c1', version: 4 }, 4)).toBe(true)
    expect(await cache.get('c1')).toEqual({ id: 'c1', version: 4 })
  })

  it('refuses a size below 1 with a message naming the flag', () => {
    expect(() => new LruCacheStrategy({ size: 0, ttlMs: 0 })).toThrow(/--cache-size 0/)
  })
})
