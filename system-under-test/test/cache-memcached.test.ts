// The shared `memcached` cache against a real memcached: what two replicas see of each other's
// entries and writes, expiry, the server's figures, hostile keys, and a server that is gone.

import { readFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Cache } from '../src/strategies/cache/cache.js'
import { CacheAside } from '../src/strategies/cache/cache-aside.js'
import { createCache } from '../src/strategies/cache/cache-registry.js'
import type { MemcachedCacheStrategy } from '../src/strategies/cache/memcached-cache-strategy.js'
import { startTempMemcached, type TempMemcached } from './support/memcached-server.js'

let memcached: TempMemcached | undefined
const opened: Cache[] = []
let prefixCounter = 0

beforeAll(async () => {
  memcached = await startTempMemcached()
})

afterAll(async () => {
  await memcached?.stop()
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()))
})

/** Replica caches over one server; each test gets its own key prefix so tests do not see each other. */
function replicaCaches(count: number, ttlMs = 0, server = memcached!.server): MemcachedCacheStrategy[] {
  const keyPrefix = `test${++prefixCounter}:`
  const caches = Array.from(
    { length: count },
    () => createCache('memcached', { size: 1000, ttlMs, memcachedServer: server, keyPrefix }) as MemcachedCacheStrategy,
  )
  opened.push(...caches)
  return caches
}

interface Customer {
  id: string
  name: string
  version: number
}

describe('memcached cache (real memcached)', () => {
  it('two replicas share entries, and a delete by one is seen by the other', async () => {
    const [a, b] = replicaCaches(2)
    await a!.set('customer:c1', { id: 'c1', name: 'Ada', version: 1 })
    expect(await b!.get('customer:c1')).toEqual({ id: 'c1', name: 'Ada', version: 1 })
    await b!.delete('customer:c1')
    expect(await a!.get('customer:c1')).toBeUndefined()
    expect(a!.stats()).toMatchObject({ hits: 0, misses: 1 })
    expect(b!.stats()).toMatchObject({ hits: 1, misses: 0 })
  })

  it('an invalidation through one replica is seen by the other at once; write-through is a hit there', async () => {
    const [cacheA, cacheB] = replicaCaches(2)
    let record: Customer | null = { id: 'c1', name: 'Ada', version: 1 }
    const load = async (): Promise<Customer | null> => record && { ...record }
    const replicaA = new CacheAside(cacheA!, 'invalidate')
    const replicaB = new CacheAside(cacheB!, 'write-through')
    await replicaA.read('customer:c1', load)
    expect(await replicaB.read('customer:c1', load)).toMatchObject({ hit: true, value: { version: 1 } })

    record = { id: 'c1', name: 'Ada Lovelace', version: 2 }
    await replicaA.afterWrite('customer:c1', record)
    expect(await replicaB.read('customer:c1', load)).toMatchObject({ hit: false, value: { version: 2 } })
    expect(await replicaA.read('customer:c1', load)).toMatchObject({ hit: true, value: { version: 2 } })

    record = { id: 'c1', name: 'Ada L.', version: 3 }
    await replicaB.afterWrite('customer:c1', record)
    expect(
      await replicaA.read('customer:c1', async () => {
        throw new Error('must not reach the store')
      }),
    ).toEqual({ hit: true, value: record })

    record = null
    await replicaB.afterDelete('customer:c1')
    expect(await replicaA.read('customer:c1', load)).toEqual({ hit: false, value: null })
  })

  it('setIfNewer refuses an older version, also against a concurrent write-through', async () => {
    const [a, b] = replicaCaches(2)
    expect(await a!.setIfNewer('customer:c1', { id: 'c1', version: 5 }, 5)).toBe(true)
    expect(await a!.setIfNewer('customer:c1', { id: 'c1', version: 4 }, 4)).toBe(false)
    expect(await a!.get('customer:c1')).toEqual({ id: 'c1', version: 5 })
    // Two replicas writing versions 6..25 of one record through at once: the highest one stays.
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b)!.setIfNewer('customer:c1', { id: 'c1', version: 6 + i }, 6 + i)))
    expect(await b!.get('customer:c1')).toEqual({ id: 'c1', version: 25 })
  })

  it('entries expire after the ttl, rounded up to whole seconds', async () => {
    const [a] = replicaCaches(1, 300)
    await a!.set('customer:c1', { version: 1 })
    expect(await a!.get('customer:c1')).toEqual({ version: 1 })
    // Poll rather than sleep a guessed time: the server expires items by its own clock.
    await expect.poll(async () => a!.get('customer:c1'), { timeout: 5000, interval: 100 }).toBeUndefined()
  })

  it('keys a text protocol cannot carry are hashed: no command can be smuggled in a key', async () => {
    const [a] = replicaCaches(1)
    await a!.set('customer:keep', { version: 1 })
    const hostile = 'customer:x\r\nflush_all\r\nget y'
    expect(a!.itemKey(hostile)).toMatch(/^test\d+:#[A-Za-z0-9_-]+$/)
    await a!.set(hostile, { version: 7 })
    expect(await a!.get(hostile)).toEqual({ version: 7 })
    expect(await a!.get('customer:keep')).toEqual({ version: 1 }) // nothing was flushed
    const long = `customer:${'z'.repeat(400)}`
    await a!.set(long, { version: 2 })
    expect(await a!.get(long)).toEqual({ version: 2 })
  })

  it("reports the server's items and evictions without blocking stats()", async () => {
    const [a, b] = replicaCaches(2)
    expect(a!.stats().size).toBe(-1) // not read yet: unknown, not zero
    await a!.refreshStats()
    const before = a!.stats().size
    for (let i = 0; i < 25; i++) await a!.set(`customer:${i}`, { i })
    await b!.set('customer:other', { i: -1 })
    await a!.refreshStats()
    expect(a!.stats()).toMatchObject({ size: before + 26, evictions: 0 })
  })

  it('answers ping while the server is up; reads become misses and writes reject when it is paused or gone', async () => {
    const own = await startTempMemcached()
    try {
      const [cache] = replicaCaches(1, 0, own.server)
      await cache!.set('customer:c1', { version: 1 })
      await expect(cache!.ping!()).resolves.toBeUndefined()
      process.kill(own.pid, 'SIGSTOP')
      // The signal takes effect asynchronously: on a busy machine a request sent at once could still be answered.
      await expect.poll(() => /^\d+ \(.*\) T /.test(readFileSync(`/proc/${own.pid}/stat`, 'utf8')), { timeout: 5000, interval: 20 }).toBe(true)
      expect(await cache!.get('customer:c1')).toBeUndefined() // bounded by the command timeout
      await expect(cache!.delete('customer:c1')).rejects.toThrow()
      process.kill(own.pid, 'SIGCONT')
      await own.stop()
      expect(await cache!.get('customer:c1')).toBeUndefined()
      expect(await cache!.getWithFence('customer:c1')).toBeNull()
      await expect(cache!.ping!()).rejects.toThrow()
      await expect(cache!.delete('customer:c1')).rejects.toThrow()
    } finally {
      await own.stop()
    }
  })
})
