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
//
// Write fences (see cache-aside.ts): every write (set, setIfNewer, delete) also sets the key's
// fence `fence:<keyPrefix><key>` to a token no other write uses (this client's random id and a
// counter), in the same Lua script, so the change and the fence move together. A read fetches
// the entry and its fence with one MGET; its fill stores only if the fence is still what the
// read saw. Fences live FENCE_TTL_MS (they must outlive any read that could still fill: a fill
// whose read is older than half that is dropped), and sit outside the prefix so SCAN's size does
// not count them.

import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { ConfigurationError } from '../../config/configuration-error.js'
import type { Cache, CacheFence, CacheOptions, CacheStats } from './cache.js'

const STATS_REFRESH_MS = 2000
const DEFAULT_KEY_PREFIX = 'crm:'
const FENCE_TTL_MS = 60_000

// Shared by the scripts: store ARGV[1] under KEYS[1] unless the cached value has a higher
// version than ARGV[2] ('' = no version: no comparison), with expiry ARGV[3] ms (0 = none).
const STORE_UNLESS_NEWER_LUA = `
if ARGV[2] ~= '' then
  local current = redis.call('GET', KEYS[1])
  if current then
    local ok, decoded = pcall(cjson.decode, current)
    if ok and type(decoded) == 'table' and type(decoded['version']) == 'number'
       and decoded['version'] > tonumber(ARGV[2]) then
      return 0
    end
  end
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
`

// A write: move the fence KEYS[2] to ARGV[4] (for ARGV[5] ms), then store. In one step, so no
// fill can land between the two.
const WRITE_LUA = `redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])\n${STORE_UNLESS_NEWER_LUA}`

// A fill after a miss: store only if the fence KEYS[2] is still ARGV[4] ('' = no fence then).
const FILL_LUA = `
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[4] then
  return 0
end
${STORE_UNLESS_NEWER_LUA}`

// An invalidation: move the fence KEYS[2] to ARGV[1] (for ARGV[2] ms) and delete the entry.
const INVALIDATE_LUA = `
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[1])
return 1
`

type RedisWithScripts = Redis & {
  crmWrite(key: string, fenceKey: string, json: string, version: string, ttlMs: string, fence: string, fenceTtlMs: string): Promise<number>
  crmFill(key: string, fenceKey: string, json: string, version: string, ttlMs: string, seenFence: string): Promise<number>
  crmInvalidate(key: string, fenceKey: string, fence: string, fenceTtlMs: string): Promise<number>
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
  /** Fence tokens: unique to this client (random id) and to each write (counter). */
  private readonly fenceId = randomBytes(8).toString('hex')
  private fences = 0

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
    client.defineCommand('crmWrite', { numberOfKeys: 2, lua: WRITE_LUA })
    client.defineCommand('crmFill', { numberOfKeys: 2, lua: FILL_LUA })
    client.defineCommand('crmInvalidate', { numberOfKeys: 2, lua: INVALIDATE_LUA })
    this.client = client as RedisWithScripts
  }

  async get(key: string): Promise<unknown> {
    let raw: string | null
    try {
      raw = await this.client.get(this.prefix + key)
    } catch {
      raw = null
    }
    return this.decode(raw)
  }

  async getWithFence(key: string): Promise<{ value: unknown; fence: CacheFence } | null> {
    const readAtMs = Date.now()
    let answer: (string | null)[]
    try {
      answer = await this.client.mget(this.prefix + key, this.fenceKey(key))
    } catch {
      this.misses++
      return null
    }
    return { value: this.decode(answer[0] ?? null), fence: { token: answer[1] ?? null, readAtMs } }
  }

  async fillIfUnfenced(key: string, value: unknown, fence: CacheFence, version: number | undefined): Promise<boolean> {
    // An expired fence reads as "no fence": only a read younger than the fence's lifetime may trust it.
    if (Date.now() - fence.readAtMs > FENCE_TTL_MS / 2) return false
    const stored = await this.client.crmFill(
      this.prefix + key,
      this.fenceKey(key),
      JSON.stringify(value),
      version === undefined ? '' : String(version),
      String(this.ttlMs),
      fence.token ?? '',
    )
    return stored === 1
  }

  async set(key: string, value: unknown): Promise<void> {
    if (value === undefined || value === null) return this.delete(key)
    await this.write(key, value, '')
  }

  async setIfNewer(key: string, value: unknown, version: number): Promise<boolean> {
    return this.write(key, value, String(version))
  }

  async delete(key: string): Promise<void> {
    await this.client.crmInvalidate(this.prefix + key, this.fenceKey(key), this.nextFence(), String(FENCE_TTL_MS))
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

  private async write(key: string, value: unknown, version: string): Promise<boolean> {
    const stored = await this.client.crmWrite(
      this.prefix + key,
      this.fenceKey(key),
      JSON.stringify(value),
      version,
      String(this.ttlMs),
      this.nextFence(),
      String(FENCE_TTL_MS),
    )
    return stored === 1
  }

  private decode(raw: string | null): unknown {
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

  private fenceKey(key: string): string {
    return `fence:${this.prefix}${key}`
  }

  private nextFence(): string {
    return `${this.fenceId}:${++this.fences}`
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
