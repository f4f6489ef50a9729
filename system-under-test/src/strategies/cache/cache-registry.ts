// The `--cache` flag's words mapped to their strategies: the one place a new strategy is added.

import { ConfigurationError } from '../../config/configuration-error.js'
import type { Cache, CacheOptions, CacheStrategyName } from './cache.js'
import { CACHE_STRATEGIES } from './cache.js'
import { LfuCacheStrategy } from './lfu-cache-strategy.js'
import { LruCacheStrategy } from './lru-cache-strategy.js'
import { MemcachedCacheStrategy } from './memcached-cache-strategy.js'
import { NoneCacheStrategy } from './none-cache-strategy.js'
import { RedisCacheStrategy } from './redis-cache-strategy.js'
import { TtlCacheStrategy } from './ttl-cache-strategy.js'

const FACTORIES: Record<CacheStrategyName, (o: CacheOptions) => Cache> = {
  none: () => new NoneCacheStrategy(),
  lru: (o) => new LruCacheStrategy(o),
  lfu: (o) => new LfuCacheStrategy(o),
  ttl: (o) => new TtlCacheStrategy(o),
  redis: (o) => new RedisCacheStrategy(o),
  memcached: (o) => new MemcachedCacheStrategy(o),
}

/**
 * Builds the cache a replica runs with. Called once at replica start-up. Throws a ConfigurationError
 * naming the bad option (unknown name, size < 1, missing --redis URL or --memcached server, ...) for the CLI to report.
 */
export function createCache(name: CacheStrategyName, o: CacheOptions): Cache {
  const factory = FACTORIES[name]
  if (!factory) {
    throw new ConfigurationError(`--cache "${String(name)}" is not a cache strategy: use one of ${CACHE_STRATEGIES.join(', ')}`)
  }
  return factory(o)
}
