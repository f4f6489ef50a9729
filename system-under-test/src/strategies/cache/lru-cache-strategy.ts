// `lru`: an in-process cache that evicts the least recently used entry when full (lru-cache).
// Also the base of `ttl`, which is the same cache with an entry lifetime.

import { LRUCache } from 'lru-cache'
import type { CacheOptions } from './cache.js'
import { InProcessCache } from './in-process-cache.js'

export class LruCacheStrategy extends InProcessCache {
  readonly name: 'lru' | 'ttl' = 'lru'
  protected readonly entries: LRUCache<string, object>

  constructor(o: CacheOptions, ttlMs = 0) {
    super(o.size)
    this.entries = new LRUCache<string, object>({
      max: o.size,
      ...(ttlMs > 0 ? { ttl: ttlMs, updateAgeOnGet: false } : {}),
      // A test clock moves in jumps: read it on every check instead of caching it for 1 ms.
      ...(o.clock ? { perf: o.clock, ttlResolution: 0 } : {}),
      // Only capacity evictions count: replacements ('set'), deletes and expiries are not.
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.countEviction()
      },
    })
  }
}
