import { describe, expect, it } from 'vitest'
import { CACHE_STRATEGIES, type CacheStrategyName } from './cache.js'
import { createCache } from './cache-registry.js'

describe('createCache', () => {
  it.each(CACHE_STRATEGIES.filter((n) => n !== 'redis'))('builds %s under its own name', async (name) => {
    const cache = createCache(name, { size: 10, ttlMs: 1000 })
    expect(cache.name).toBe(name)
    await cache.close()
  })

  it('refuses an unknown name, listing the known ones', () => {
    expect(() => createCache('fifo' as CacheStrategyName, { size: 10, ttlMs: 0 })).toThrow(
      /"fifo".*none, lru, lfu, ttl, redis/,
    )
  })

  it('refuses redis without a URL, saying which flag to pass', () => {
    expect(() => createCache('redis', { size: 10, ttlMs: 0 })).toThrow(/--redis/)
  })
})
