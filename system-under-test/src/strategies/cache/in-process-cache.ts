// What the in-process caches (lru, lfu, ttl) share: hit/miss/eviction counting for /metrics,
// version-checked writes, and "nothing" (null/undefined) never being cached. A strategy only
// chooses the map that decides which entry to evict.
//
// Values are kept by reference and must be treated as immutable by callers: copying on every hit
// would cost the throughput these caches exist to give.

import { ConfigurationError } from '../../config/configuration-error.js'
import type { Cache, CacheStats, CacheStrategyName } from './cache.js'
import { versionOf } from './value-version.js'

/** The bounded map an in-process cache keeps its entries in (lru-cache's LRUCache and LfuMap fit). */
export interface EvictingMap {
  readonly size: number
  /** Called on every cache read; counts as a use for the eviction order. */
  get(key: string): unknown
  /** Called by setIfNewer to read the cached version without counting a use. */
  peek(key: string): unknown
  /** Called to store a value; evicts first when full. */
  set(key: string, value: object): unknown
  delete(key: string): unknown
  /** Called on close. */
  clear(): void
}

export abstract class InProcessCache implements Cache {
  abstract readonly name: CacheStrategyName
  /** Built by the strategy, which reports capacity evictions through countEviction(). */
  protected abstract readonly entries: EvictingMap
  private hits = 0
  private misses = 0
  private evictions = 0

  /** Refuses a `size` (max entries) that is not a whole number >= 1, naming --cache-size. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new ConfigurationError(`--cache-size ${size} is not valid: use a whole number >= 1`)
    }
  }

  async get(key: string): Promise<unknown> {
    const value = this.entries.get(key)
    if (value === undefined) this.misses++
    else this.hits++
    return value
  }

  async set(key: string, value: unknown): Promise<void> {
    this.put(key, value)
  }

  async setIfNewer(key: string, value: unknown, version: number): Promise<boolean> {
    // peek + set run in one synchronous step, so nothing can slip in between.
    const cached = versionOf(this.entries.peek(key))
    if (cached !== undefined && cached > version) return false
    this.put(key, value)
    return true
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key)
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, size: this.entries.size }
  }

  async close(): Promise<void> {
    this.entries.clear()
  }

  /** Called by the map for each entry pushed out to make room (not for deletes, replacements or expiries). */
  protected countEviction(): void {
    this.evictions++
  }

  private put(key: string, value: unknown): void {
    // "Nothing" is simply not cached (lru-cache cannot even hold null/undefined).
    if (value === undefined || value === null) this.entries.delete(key)
    else this.entries.set(key, value as object)
  }
}
