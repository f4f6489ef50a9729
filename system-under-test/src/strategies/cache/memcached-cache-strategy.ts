// `memcached`: one cache shared by every replica (memcache-client, memcached's text protocol).
// Same promises as `redis` (see cache-aside.ts): once a write is acknowledged, no replica serves
// an older version. memcached has no scripts and no multi-key atomicity, so the write fence is
// the key's own item and its CAS unique, which the server changes on every store:
//
// - every write stores something under the key: the new value (write-through), or a *fence item*
//   (invalidate and delete) instead of deleting, so the key's CAS unique always changes;
// - a read fetches the item with `gets` (value and CAS unique in one round trip); a fence item
//   reads as a miss;
// - its fill stores with `cas` against the CAS unique the read saw, or with `add` when the read
//   saw no item at all. Both fail when any write (or another fill) stored under the key since.
//
// A slow fill that loaded version 1 before another replica's write is therefore refused by the
// server, whichever replica wrote. Fence items live FENCE_LIFETIME_S: a fill whose read is older
// than half that is dropped, since a fence written after that read could have expired (the
// `add` would then succeed). Like redis's fence keys they are lost when memcached restarts or
// evicts them under memory pressure (a fresh item is the last one its LRU evicts).
//
// Values are stored as `v` + JSON, fence items as `f`. Expiry is in whole seconds (memcached's
// unit): --cache-ttl-ms is rounded up, 0 = no expiry, at most 30 days (memcached reads larger
// numbers as a date).
//
// Failure policy as for redis: a failed read is a miss (the store answers); a failed write
// rejects, so the caller knows the old value may still be cached.
//
// stats() is synchronous (it backs /metrics): hits and misses are counted by this client; size
// (`curr_items`, fence items included) and evictions come from the server's `stats`, refreshed in
// the background at most every STATS_REFRESH_MS, server-wide and so the same on every replica.

import { createHash } from 'node:crypto'
import { MemcacheClient } from 'memcache-client'
import { ConfigurationError } from '../../config/configuration-error.js'
import type { Cache, CacheFence, CacheOptions, CacheStats } from './cache.js'

const STATS_REFRESH_MS = 2000
const DEFAULT_KEY_PREFIX = 'crm:'
const FENCE_LIFETIME_S = 60
/** memcached reads an exptime above 30 days as a Unix time. */
const MAX_LIFETIME_S = 30 * 24 * 3600
/** Concurrent write-throughs of one key retry their compare-and-swap this often before giving up (the caller then invalidates). */
const MAX_CAS_ATTEMPTS = 8
const VALUE_TAG = 'v'
const FENCE_ITEM = 'f'
/** memcached keys: at most 250 bytes, no spaces or control characters. */
const SAFE_KEY = /^[\x21-\x7e]{1,200}$/

/** The server's answers that mean "not stored because of what is there", as opposed to a failure. */
const NOT_STORED = new Set(['NOT_STORED', 'EXISTS', 'NOT_FOUND'])

interface Item {
  value: unknown
  casUniq?: string | number | undefined
}

export class MemcachedCacheStrategy implements Cache {
  readonly name = 'memcached' as const
  private readonly client: MemcacheClient
  private readonly prefix: string
  private readonly lifetimeS: number
  private hits = 0
  private misses = 0
  private evictions = 0
  private size = -1
  private lastRefresh = Number.NEGATIVE_INFINITY
  private refreshing: Promise<void> | null = null

  constructor(o: CacheOptions) {
    if (!o.memcachedServer) {
      throw new ConfigurationError('--cache memcached needs a server: pass --memcached 127.0.0.1:11211 (or the host:port of yours)')
    }
    if (!/^[^\s:]+:\d{1,5}$/.test(o.memcachedServer)) {
      throw new ConfigurationError(`--memcached "${o.memcachedServer}" is not host:port: use one like 127.0.0.1:11211`)
    }
    if (!Number.isFinite(o.ttlMs) || o.ttlMs < 0 || o.ttlMs > MAX_LIFETIME_S * 1000) {
      throw new ConfigurationError(
        `--cache-ttl-ms ${o.ttlMs} is not valid for memcached: use milliseconds from 0 (no expiry) to ${MAX_LIFETIME_S * 1000} (30 days)`,
      )
    }
    this.prefix = o.keyPrefix ?? DEFAULT_KEY_PREFIX
    this.lifetimeS = Math.ceil(o.ttlMs / 1000)
    this.client = new MemcacheClient({
      server: { server: o.memcachedServer, maxConnections: 4 },
      // Bounded waits: a dead or paused server turns into misses/errors quickly, not hung requests.
      cmdTimeout: 1000,
      connectTimeout: 2000,
      noDelay: true,
    })
  }

  async get(key: string): Promise<unknown> {
    let item: Item | undefined
    try {
      item = await this.client.get<string>(this.itemKey(key))
    } catch {
      item = undefined
    }
    return this.decode(item)
  }

  async getWithFence(key: string): Promise<{ value: unknown; fence: CacheFence } | null> {
    const readAtMs = Date.now()
    let item: Item | undefined
    try {
      item = await this.client.gets<string>(this.itemKey(key))
    } catch {
      this.misses++
      return null
    }
    const value = this.decode(item)
    return { value, fence: { token: item?.casUniq === undefined ? null : String(item.casUniq), readAtMs } }
  }

  async fillIfUnfenced(key: string, value: unknown, fence: CacheFence, _version: number | undefined): Promise<boolean> {
    // An expired fence item reads as "no item": only a read younger than its lifetime may trust that.
    if (Date.now() - fence.readAtMs > (FENCE_LIFETIME_S * 1000) / 2) return false
    const encoded = VALUE_TAG + JSON.stringify(value)
    // No version check needed: any write since the read changed the item, so the cas (or add) fails.
    return fence.token === null ? this.storeIf('add', key, encoded) : this.storeIf('cas', key, encoded, fence.token)
  }

  async set(key: string, value: unknown): Promise<void> {
    if (value === undefined || value === null) return this.delete(key)
    await this.client.set(this.itemKey(key), VALUE_TAG + JSON.stringify(value), { lifetime: this.lifetimeS })
  }

  async setIfNewer(key: string, value: unknown, version: number): Promise<boolean> {
    const encoded = VALUE_TAG + JSON.stringify(value)
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const item = await this.client.gets<string>(this.itemKey(key))
      if (item === undefined) {
        if (await this.storeIf('add', key, encoded)) return true
        continue
      }
      const cached = this.parse(item.value)
      // A newer version cached: it was stored after anything that could still fill, so leaving it fences too.
      if (
        cached !== undefined &&
        typeof cached === 'object' &&
        cached !== null &&
        typeof (cached as { version?: unknown }).version === 'number' &&
        (cached as { version: number }).version > version
      ) {
        return false
      }
      if (item.casUniq === undefined) throw new Error('memcached answered gets without a CAS unique')
      if (await this.storeIf('cas', key, encoded, String(item.casUniq))) return true
    }
    throw new Error(`memcached: ${key} changed under ${MAX_CAS_ATTEMPTS} write-throughs in a row`)
  }

  async delete(key: string): Promise<void> {
    // A fence item rather than a delete: the CAS unique must move (see the file comment).
    await this.client.set(this.itemKey(key), FENCE_ITEM, { lifetime: FENCE_LIFETIME_S })
  }

  async ping(): Promise<void> {
    await this.client.version()
  }

  stats(): CacheStats {
    if (!this.refreshing && Date.now() - this.lastRefresh >= STATS_REFRESH_MS) {
      void this.refreshStats().catch(() => {}) // keeps the last figures
    }
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, size: this.size }
  }

  /** Reads evictions and size from the server now. Called in the background by stats(); tests may await it. */
  refreshStats(): Promise<void> {
    if (this.refreshing) return this.refreshing
    this.lastRefresh = Date.now()
    this.refreshing = this.readServerStats().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  async close(): Promise<void> {
    try {
      await this.refreshing
    } catch {
      // a failed refresh does not stop the shutdown
    }
    this.client.shutdown()
  }

  /** The memcached key of a cache key: prefixed; hashed when it could not travel as a key (length, spaces, control characters). */
  itemKey(key: string): string {
    const full = this.prefix + key
    if (SAFE_KEY.test(full) && !key.startsWith('#')) return full
    return `${this.prefix}#${createHash('sha256').update(key).digest('base64url')}`
  }

  /** `add` or `cas`: true when stored, false when the server refused because of what is there now. */
  private async storeIf(command: 'add' | 'cas', key: string, encoded: string, casUniq?: string): Promise<boolean> {
    try {
      if (command === 'add') await this.client.add(this.itemKey(key), encoded, { lifetime: this.lifetimeS })
      else await this.client.cas(this.itemKey(key), encoded, { casUniq: casUniq as string, lifetime: this.lifetimeS })
      return true
    } catch (error) {
      if (error instanceof Error && NOT_STORED.has(error.message)) return false
      throw error
    }
  }

  private decode(item: Item | undefined): unknown {
    const value = item === undefined ? undefined : this.parse(item.value)
    if (value === undefined) this.misses++
    else this.hits++
    return value
  }

  /** The cached value, or undefined for a fence item or anything not ours. */
  private parse(raw: unknown): unknown {
    if (typeof raw !== 'string' || !raw.startsWith(VALUE_TAG)) return undefined
    try {
      return JSON.parse(raw.slice(VALUE_TAG.length)) as unknown
    } catch {
      return undefined
    }
  }

  private async readServerStats(): Promise<void> {
    const answer = await this.client.cmd<{ STAT?: string[][] }>('stats')
    const stat = new Map((answer.STAT ?? []).map(([name, value]) => [name, Number(value)]))
    const items = stat.get('curr_items')
    const evicted = stat.get('evictions')
    if (items !== undefined && Number.isFinite(items)) this.size = items
    if (evicted !== undefined && Number.isFinite(evicted)) this.evictions = evicted
  }
}
