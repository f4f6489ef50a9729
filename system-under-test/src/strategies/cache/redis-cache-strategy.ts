// `redis`: one cache shared by every replica (ioredis). Values are stored as JSON under
// `<keyPrefix><key>`, with a PX expiry when ttlMs > 0. A replica that writes makes its change
// visible to every other replica at once, at the price of a network round trip per read.
//
// Failure policy: a read that fails (server down, timeout) counts as a miss and the replica
// falls back to the store, because the cache only makes things faster. A failed set, setIfNewer
// or delete rejects: after a write the caller must know the old value may still be cached.
//
// stats() must stay synchronous (it backs /metrics), so what only the server knows is fetched in
// the background, at most once every STATS_REFRESH_MS, when stats() is called:
// - hits and misses: counted by this client (exact, per replica);
// - evictions: the server's INFO stats `evicted_keys` (server-wide and shared: every replica
//   reports the same figure, so do not sum it over replicas; 0 until first read, and 0 unless the
//   server runs with a maxmemory policy);
// - size: keys under this cache's prefix, counted with SCAN (also shared by every replica;
//   -1 until the first count has arrived).

import { Redis } from 'ioredis'
import { ConfigurationError } from '../../config/configuration-error.js'
import type { Cache, CacheOptions, CacheStats } from './cache.js'

const STATS_REFRESH_MS = 2000
const DEFAULT_KEY_PREFIX = 'crm:'

// Compare-and-set in one server-side step, so a slow replica cannot put an older version of a
// record over a newer one written by another replica in between its read and its write.
const SET_IF_NEWER_LUA = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and type(decoded['version']) == 'number'
     and decoded['version'] > tonumber(ARGV[2]) then
    return 0
  end
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
`

type RedisWithScripts = Redis & {
  crmSetIfNewer(key: string, json: string, version: string, ttlMs: string): Promise<number>
}

export class RedisCacheStrategy implements Cache {
  readonly name = 'redis' as const
  private readonly client: RedisWithScripts
  private readonly prefix: string
  private readonly ttlMs: number
  private hits = 0
  private misses = 0
  private evictions = 0
  private size = -1
  private lastRefresh = Number.NEGATIVE_INFINITY
  private refreshing: Promise<void> | null = null
  /** The last connection error, kept so it is not reported as an unhandled 'error' event. */
  lastError: Error | undefined

  constructor(o: CacheOptions) {
    if (!o.redisUrl) {
      throw new ConfigurationError('--cache redis needs a server: pass --redis redis://127.0.0.1:6379 (or the URL of yours)')
    }
    if (!Number.isFinite(o.ttlMs) || o.ttlMs < 0) {
      throw new ConfigurationError(`--cache-ttl-ms ${o.ttlMs} is not valid: use a number of milliseconds >= 0 (0 = no expiry)`)
    }
    this.prefix = o.keyPrefix ?? DEFAULT_KEY_PREFIX
    this.ttlMs = Math.round(o.ttlMs)
    const client = new Redis(o.redisUrl, {
      // Bounded waits: a dead or paused server turns into misses/errors quickly, not hung requests.
      connectTimeout: 2000,
      commandTimeout: 1000,
      maxRetriesPerRequest: 1,
      // Concurrent requests share round trips, which matters under load.
      enableAutoPipelining: true,
    })
    client.on('error', (err: Error) => {
      this.lastError = err
    })
    client.defineCommand('crmSetIfNewer', { numberOfKeys: 1, lua: SET_IF_NEWER_LUA })
    this.client = client as RedisWithScripts
  }

  async get(key: string): Promise<unknown> {
    let raw: string | null
    try {
      raw = await this.client.get(this.prefix + key)
    } catch {
      raw = null
    }
    if (raw === null) {
      this.misses++
      return undefined
    }
    try {
      const value: unknown = JSON.parse(raw)
      this.hits++
      return value
    } catch {
      this.misses++ // not ours (someone else wrote under our prefix): treat as absent
      return undefined
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    if (value === undefined || value === null) return this.delete(key)
    const json = JSON.stringify(value)
    if (this.ttlMs > 0) await this.client.set(this.prefix + key, json, 'PX', this.ttlMs)
    else await this.client.set(this.prefix + key, json)
  }

  async setIfNewer(key: string, value: unknown, version: number): Promise<boolean> {
    const stored = await this.client.crmSetIfNewer(
      this.prefix + key,
      JSON.stringify(value),
      String(version),
      String(this.ttlMs),
    )
    return stored === 1
  }

  async delete(key: string): Promise<void> {
    await this.client.del(this.prefix + key)
  }

  async ping(): Promise<void> {
    await this.client.ping()
  }

  stats(): CacheStats {
    if (!this.refreshing && Date.now() - this.lastRefresh >= STATS_REFRESH_MS) {
      void this.refreshStats().catch(() => {}) // keeps the last figures; lastError tells why
    }
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, size: this.size }
  }

  /**
   * Reads evictions and size from the server now. Called in the background by stats(); tests and
   * shutdown code may await it to get fresh figures.
   */
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
    try {
      await this.client.quit()
    } catch {
      this.client.disconnect()
    }
  }

  private async readServerStats(): Promise<void> {
    const info = await this.client.info('stats')
    const evicted = /^evicted_keys:(\d+)/m.exec(info)
    if (evicted) this.evictions = Number(evicted[1])
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
    let cursor = '0'
    let count = 0
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      count += keys.length
      cursor = next
    } while (cursor !== '0')
    this.size = count
  }
}
