import { describe, expect, it } from 'vitest'
import { CACHE_STRATEGIES, type CacheStrategyName } from './cache.js'
import { createCache } from './cache-registry.js'

describe('createCache', () => {
  it.each(CACHE_STRATEGIES.filter((n) => n !== 'redis' && n !== 'memcached'))('builds %s under its own name', async (name) => {
    const cache = createCache(name, { size: 10, ttlMs: 1000 })
    expect(cache.name).toBe(name)
    await cache.close()
  })

  it('refuses an unknown name, listing the known ones', () => {
    expect(() => createCache('fifo' as CacheStrategyName, { size: 10, ttlMs: 0 })).toThrow(/"fifo".*none, lru, lfu, ttl, redis, memcached/)
  })

  it('refuses redis without a URL, saying which flag to pass', () => {
    expect(() => createCache('redis', { size: 10, ttlMs: 0 })).toThrow(/--redis/)
  })

  it('refuses memcached without a server, or with a server that is not host:port', () => {
    expect(() => createCache('memcached', { size: 10, ttlMs: 0 })).toThrow(/--memcached 127\.0\.0\.1:11211/)
    expect(() => createCache('memcached', { size: 10, ttlMs: 0, memcachedServer: 'memcached://x' })).toThrow(/not host:port/)
  })

  it('refuses a memcached ttl memcached would read as a date (over 30 days)', () => {
    expect(() => createCache('memcached', { size: 10, ttlMs: 31 * 24 * 3600 * 1000, memcachedServer: '127.0.0.1:11211' })).toThrow(
      /--cache-ttl-ms .*\(30 days\)/,
    )
  })
})
