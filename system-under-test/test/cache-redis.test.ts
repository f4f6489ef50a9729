// The shared `redis` cache against a real redis-server: what two replicas see of each other's
// entries and writes.

import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Cache } from '../src/strategies/cache/cache.js'
import { CacheAside } from '../src/strategies/cache/cache-aside.js'
import { createCache } from '../src/strategies/cache/cache-registry.js'
import type { RedisCacheStrategy } from '../src/strategies/cache/redis-cache-strategy.js'
import { startTempRedis, type TempRedis } from './support/redis-server.js'

let redis: TempRedis | undefined
const opened: Cache[] = []
let prefixCounter = 0
let prefix = ''

beforeAll(async () => {
  redis = await startTempRedis()
})

afterAll(async () => {
  await redis?.stop()
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()))
})

/** One replica's cache; every test gets its own key prefix so tests do not see each other. */
function replicaCache(ttlMs = 0): RedisCacheStrategy {
  const cache = createCache('redis', { size: 1000, ttlMs, redisUrl: redis!.url, keyPrefix: prefix })
  opened.push(cache)
  return cache as RedisCacheStrategy
}

function nextPrefix(): void {
  prefix = `test${++prefixCounter}:`
}

interface Customer {
  id: string
  name: string
  version: number
}

describe('redis cache (real redis-server)', () => {
  it('two replicas share entries, and a delete by one is seen by the other', async () => {
    nextPrefix()
    const a = replicaCache()
    const b = replicaCache()
    await a.set('customer:c1', { id: 'c1', name: 'Ada', version: 1 })
    expect(await b.get('customer:c1')).toEqual({ id: 'c1', name: 'Ada', version: 1 })
    await b.delete('customer:c1')
    expect(await a.get('customer:c1')).toBeUndefined()
    expect(a.stats()).toMatchObject({ hits: 0, misses: 1 })
    expect(b.stats()).toMatchObject({ hits: 1, misses: 0 })
  })

  it('an invalidation through one replica is seen by the other replica at once', async () => {
    nextPrefix()
    let record: Customer | null = { id: 'c1', name: 'Ada', version: 1 }
    const load = async (): Promise<Customer | null> => record && { ...record }
    const replicaA = new CacheAside(replicaCache(), 'invalidate')
    const replicaB = new CacheAside(replicaCache(), 'invalidate')
    await replicaA.read('customer:c1', load)
    expect(await replicaB.read('customer:c1', load)).toMatchObject({ hit: true, value: { version: 1 } })

    record = { id: 'c1', name: 'Ada Lovelace', version: 2 }
    await replicaA.afterWrite('customer:c1', record)
    expect(await replicaB.read('customer:c1', load)).toMatchObject({ hit: false, value: { version: 2 } })
    expect(await replicaA.read('customer:c1', load)).toMatchObject({ hit: true, value: { version: 2 } })

    record = null
    await replicaB.afterDelete('customer:c1')
    expect(await replicaA.read('customer:c1', load)).toEqual({ hit: false, value: null })
  })

  it('write-through by one replica is a hit with the new value on the other', async () => {
    nextPrefix()
    const replicaA = new CacheAside(replicaCache(), 'write-through')
    const replicaB = new CacheAside(replicaCache(), 'write-through')
    await replicaA.afterWrite('customer:c1', { id: 'c1', name: 'New', version: 2 } as Customer)
    const read = await replicaB.read<Customer>('customer:c1', async () => {
      throw new Error('must not reach the store')
    })
    expect(read).toEqual({ hit: true, value: { id: 'c1', name: 'New', version: 2 } })
  })

  it.each(['invalidate', 'write-through'] as const)(
    "with %s, another replica's slow fill of the old version never reaches the writer's readers",
    async (policy) => {
      nextPrefix()
      let record: Customer = { id: 'c1', name: 'Old', version: 1 }
      const load = async (): Promise<Customer> => ({ ...record })
      const writer = new CacheAside(replicaCache(), policy)
      const other = new CacheAside(replicaCache(), policy)
      let finish!: () => void
      const held = new Promise<void>((r) => (finish = r))
      let loading!: () => void
      const loadStarted = new Promise<void>((r) => (loading = r))
      const slowRead = other.read('customer:c1', async () => {
        const old = { ...record } // the store answers version 1 to the other replica...
        loading()
        await held
        return old
      })
      await loadStarted
      record = { id: 'c1', name: 'New', version: 2 }
      await writer.afterWrite('customer:c1', record) // ...the writer stores version 2...
      finish() // ...and only then does the other replica try to fill the shared cache with version 1
      await slowRead

      for (let i = 0; i < 3; i++) {
        expect((await writer.read<Customer>('customer:c1', load)).value).toMatchObject({ version: 2 })
      }
      // The writer's read repaired the shared entry, so the other replica sees version 2 too.
      expect(await other.read<Customer>('customer:c1', load)).toMatchObject({ hit: true, value: { version: 2 } })
    },
  )

  it('setIfNewer refuses an older version atomically on the server', async () => {
    nextPrefix()
    const a = replicaCache()
    expect(await a.setIfNewer('customer:c1', { id: 'c1', version: 5 }, 5)).toBe(true)
    expect(await a.setIfNewer('customer:c1', { id: 'c1', version: 4 }, 4)).toBe(false)
    expect(await a.get('customer:c1')).toEqual({ id: 'c1', version: 5 })
    expect(await a.setIfNewer('customer:c1', { id: 'c1', version: 6 }, 6)).toBe(true)
    expect(await a.get('customer:c1')).toEqual({ id: 'c1', version: 6 })
  })

  it('entries expire after the ttl (PX) and are then misses', async () => {
    nextPrefix()
    const a = replicaCache(200)
    await a.set('customer:c1', { version: 1 })
    await a.setIfNewer('customer:c2', { version: 1 }, 1)
    // Both writes asked the server for a 200 ms expiry (read back from the server itself: a
    // read of the value could already come too late on a slow machine).
    const server = new Redis(redis!.url)
    try {
      for (const key of ['customer:c1', 'customer:c2']) {
        const pttl = await server.pttl(`${prefix}${key}`)
        // -2: already gone (expired), else the remaining ms of the 200 ms.
        expect(pttl === -2 || (pttl > 0 && pttl <= 200), `${key}: PTTL ${pttl}`).toBe(true)
      }
    } finally {
      server.disconnect()
    }
    // Poll rather than sleep a guessed time: the server expires the keys at its own pace.
    await expect.poll(async () => [await a.get('customer:c1'), await a.get('customer:c2')], { timeout: 30_000, interval: 100 }).toEqual([undefined, undefined])
  })

  it("reports its size (keys under its prefix) and the server's evictions without blocking stats()", async () => {
    nextPrefix()
    const a = replicaCache()
    const b = replicaCache()
    expect(a.stats().size).toBe(-1) // not counted yet: unknown, not zero
    for (let i = 0; i < 25; i++) await a.set(`customer:${i}`, { i })
    await b.set('customer:other', { i: -1 })
    await a.refreshStats()
    expect(a.stats()).toMatchObject({ size: 26, evictions: 0 })
  })

  it('answers ping while the server is up, and turns reads into misses when it is gone', async () => {
    nextPrefix()
    const own = await startTempRedis()
    try {
      const cache = createCache('redis', { size: 10, ttlMs: 0, redisUrl: own.url, keyPrefix: prefix })
      opened.push(cache)
      await cache.set('customer:c1', { version: 1 })
      await expect(cache.ping!()).resolves.toBeUndefined()
      await own.stop()
      expect(await cache.get('customer:c1')).toBeUndefined()
      await expect(cache.ping!()).rejects.toThrow()
      await expect(cache.delete('customer:c1')).rejects.toThrow()
    } finally {
      await own.stop()
    }
  })
})
