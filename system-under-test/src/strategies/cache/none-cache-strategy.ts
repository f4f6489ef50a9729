// `none`: no cache at all. Every read is a miss, so the hit rate reads 0 and the comparison with
// the real strategies is fair (same code path, same metrics).

import type { Cache, CacheStats } from './cache.js'

export class NoneCacheStrategy implements Cache {
  readonly name = 'none' as const
  private misses = 0

  async get(_key: string): Promise<unknown> {
    this.misses++
    return undefined
  }

  async set(_key: string, _value: unknown): Promise<void> {}

  async setIfNewer(_key: string, _value: unknown, _version: number): Promise<boolean> {
    return false
  }

  async delete(_key: string): Promise<void> {}

  stats(): CacheStats {
    return { hits: 0, misses: this.misses, evictions: 0, size: 0 }
  }

  async close(): Promise<void> {}
}
