// `ttl`: entries live for --cache-ttl-ms and are then misses, bounded by --cache-size like `lru`
// (the least recently used entry goes first when full). Staleness is bounded by the ttl even when
// another replica wrote the record, at the price of a lower hit rate.

import { ConfigurationError } from '../../config/configuration-error.js'
import type { CacheOptions, CacheStats } from './cache.js'
import { LruCacheStrategy } from './lru-cache-strategy.js'

export class TtlCacheStrategy extends LruCacheStrategy {
  override readonly name = 'ttl' as const

  constructor(o: CacheOptions) {
    if (!Number.isFinite(o.ttlMs) || o.ttlMs <= 0) {
      throw new ConfigurationError(`--cache-ttl-ms ${o.ttlMs} is not valid for --cache ttl: use a number of milliseconds > 0`)
    }
    super(o, o.ttlMs)
  }

  override stats(): CacheStats {
    // Expired entries linger until touched; drop them so `size` shows what can still hit.
    this.entries.purgeStale()
    return super.stats()
  }
}
