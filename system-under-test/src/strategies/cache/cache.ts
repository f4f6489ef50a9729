// A read cache in front of the shard stores. In-process strategies live per replica; `redis` and
// `memcached` are shared by all replicas.

import { CACHE_STRATEGIES, type CacheStrategyName, WRITE_POLICIES, type WritePolicy } from '../../contract/strategy-names.js'

// The names are part of the contract with the harness.
export { CACHE_STRATEGIES, type CacheStrategyName, WRITE_POLICIES, type WritePolicy }

export interface CacheStats {
  hits: number
  misses: number
  evictions: number
  /** Entries held now (redis: the keys under this cache's prefix; memcached: the server's items; -1 when unknown). */
  size: number
}

/** What a shared cache's read saw of the key's write fence; handed back when filling after the miss. */
export interface CacheFence {
  /** The fence at the time of the read (redis: the fence key's token; memcached: the item's CAS unique); null when there was none. */
  readonly token: string | null
  /** When it was read (ms since the epoch): fences expire, so a fill much later proves nothing. */
  readonly readAtMs: number
}

export interface Cache {
  readonly name: CacheStrategyName
  /** Called on every cacheable read; undefined is a miss. Counts a hit or a miss. */
  get(key: string): Promise<unknown>
  /** Called after a miss was filled from the store, and on write-through after a write. */
  set(key: string, value: unknown): Promise<void>
  /** Called after every successful write under the `invalidate` policy, and on delete. */
  delete(key: string): Promise<void>
  /**
   * Called by CacheAside instead of set when the value carries a numeric `version` (customers):
   * stores it unless the entry cached now has a higher `version`, atomically within this cache
   * (redis: one Lua script; memcached: compare-and-swap). Resolves true when it stored. Optional so
   * test doubles stay small.
   */
  setIfNewer?(key: string, value: unknown, version: number): Promise<boolean>
  /**
   * Shared caches only (redis, memcached), called by CacheAside instead of get: the value (undefined on a
   * miss) together with the key's write fence as it is now, in one round trip; null when the
   * cache cannot be reached (the read then goes to the store and fills nothing). In a shared
   * cache every write (set, setIfNewer, delete) moves the key's fence.
   */
  getWithFence?(key: string): Promise<{ value: unknown; fence: CacheFence } | null>
  /**
   * Shared caches only, called to fill after a getWithFence miss: stores `value` only if no write
   * has moved the key's fence since `fence` was read and (for a value with a `version`) nothing
   * newer is cached, atomically on the server. Resolves true when it stored.
   */
  fillIfUnfenced?(key: string, value: unknown, fence: CacheFence, version: number | undefined): Promise<boolean>
  /** Called by GET /ready: rejects when the cache's server cannot be reached (shared caches only). */
  ping?(): Promise<void>
  /** Called by /metrics scrapes. */
  stats(): CacheStats
  /** Called on shutdown. */
  close(): Promise<void>
}

export interface CacheOptions {
  /** Max entries for lru/lfu/ttl (and the LRU bound under ttl). */
  size: number
  /** ttl, redis and memcached: entry lifetime in ms (0 = no expiry for redis and memcached). */
  ttlMs: number
  /** redis: connection URL. */
  redisUrl?: string
  /** memcached: the server as host:port. */
  memcachedServer?: string
  /** redis and memcached: key prefix, so several runs can share one server (default `crm:`). */
  keyPrefix?: string
  /** ttl: the clock entries age by (tests pass a fake one; default performance.now). */
  clock?: { now(): number }
}
