// `lfu`: an in-process cache that evicts the least frequently used entry when full (the least
// recently used among equally frequent ones). It keeps a skewed (zipf) working set better than
// LRU, but never forgets old popularity: there is no ageing, which the comparison should show.
// Values are kept by reference and must be treated as immutable by callers.

import type { Cache, CacheOptions, CacheStats } from './cache.js'
import { LfuMap } from './lfu-map.js'
import { versionOf } from './value-version.js'

export class LfuCacheStrategy implements Cache {
  readonly name = 'lfu' as const
  private readonly entries: LfuMap<unknown>
  private hits = 0
  private misses = 0
  private evictions = 0

  constructor(o: CacheOptions) {
    if (!Number.isInteger(o.size) || o.size < 1) {
      throw new Error(`--cache-size ${o.size} is not valid: use a whole number >= 1`)
    }
    this.entries = new LfuMap<unknown>(o.size, () => {
      this.evictions++
    })
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

  private put(key: string, value: unknown): void {
    if (value === undefined || value === null) this.entries.delete(key)
    else this.entries.set(key, value)
  }
}
