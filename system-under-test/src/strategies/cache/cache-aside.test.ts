import { describe, expect, it } from 'vitest'
import type { Cache, CacheStrategyName, WritePolicy } from './cache.js'
import { CacheAside } from './cache-aside.js'
import { createCache } from './cache-registry.js'

interface Customer {
  id: string
  name: string
  version: number
}

/** A one-record store whose reads the test can hold back, to build the slow-fill race. */
class FakeStore {
  record: Customer | null = { id: 'c1', name: 'Old', version: 1 }
  loads = 0

  load = async (): Promise<Customer | null> => {
    this.loads++
    return this.record && { ...this.record }
  }

  /** A load that reads the record now but answers only when `finish` is called. */
  slowLoad(): { load: () => Promise<Customer | null>; finish: () => void } {
    const snapshot = this.record && { ...this.record }
    let finish!: () => void
    const done = new Promise<void>((r) => (finish = r))
    return {
      load: async () => {
        await done
        return snapshot
      },
      finish,
    }
  }

  update(name: string): Customer {
    this.record = { ...this.record!, name, version: this.record!.version + 1 }
    return { ...this.record }
  }
}

const KEY = 'customer:c1'
const inProcess: CacheStrategyName[] = ['lru', 'lfu', 'ttl']
const policies: WritePolicy[] = ['invalidate', 'write-through']
const cacheFor = (name: CacheStrategyName): Cache => createCache(name, { size: 100, ttlMs: 60_000 })

describe.each(inProcess)('CacheAside over %s', (name) => {
  describe.each(policies)('with the %s write policy', (policy) => {
    it('a read that loaded the old record before a write never leaves it cached', async () => {
      const store = new FakeStore()
      const aside = new CacheAside(cacheFor(name), policy)
      const slow = store.slowLoad() // the store answers "version 1"...
      const racingRead = aside.read(KEY, slow.load)
      const written = store.update('New') // ...then the write lands and is acknowledged
      await aside.afterWrite(KEY, written)
      slow.finish() // ...and only now does the slow read try to fill the cache
      expect((await racingRead).value?.version).toBe(1) // it began before the write: fine

      for (let i = 0; i < 3; i++) {
        const read = await aside.read(KEY, store.load)
        expect(read.value).toEqual({ id: 'c1', name: 'New', version: 2 })
      }
    })

    it('after a write, the next reads serve the new version', async () => {
      const store = new FakeStore()
      const aside = new CacheAside(cacheFor(name), policy)
      expect(await aside.read(KEY, store.load)).toMatchObject({ hit: false, value: { version: 1 } })
      expect(await aside.read(KEY, store.load)).toMatchObject({ hit: true, value: { version: 1 } })
      await aside.afterWrite(KEY, store.update('New'))
      const afterWrite = await aside.read(KEY, store.load)
      expect(afterWrite.value).toMatchObject({ name: 'New', version: 2 })
      expect(afterWrite.hit).toBe(policy === 'write-through')
      expect(await aside.read(KEY, store.load)).toMatchObject({ hit: true, value: { version: 2 } })
    })

    it('two writes whose cache updates finish out of order leave the newer version', async () => {
      const store = new FakeStore()
      const aside = new CacheAside(cacheFor(name), policy)
      const v2 = store.update('Second')
      const v3 = store.update('Third')
      await aside.afterWrite(KEY, v3)
      await aside.afterWrite(KEY, v2) // the slower of the two requests reports last
      expect((await aside.read(KEY, store.load)).value).toMatchObject({ version: 3 })
    })

    it('a read racing a delete does not bring the deleted record back', async () => {
      const store = new FakeStore()
      const aside = new CacheAside(cacheFor(name), policy)
      const slow = store.slowLoad()
      const racingRead = aside.read(KEY, slow.load)
      store.record = null
      await aside.afterDelete(KEY)
      slow.finish()
      await racingRead
      expect(await aside.read(KEY, store.load)).toEqual({ value: null, hit: false })
    })

    it('values without a version (the 360 view) are protected by the generation guard', async () => {
      const view = { customer: { id: 'c1', version: 1 }, contacts: ['old'] }
      const aside = new CacheAside(cacheFor(name), policy)
      let finish!: () => void
      const held = new Promise<void>((r) => (finish = r))
      const racingRead = aside.read('c360:c1', async () => {
        await held
        return view
      })
      await aside.afterWrite('c360:c1', null) // a contact was added: the view is out of date
      finish()
      await racingRead
      const fresh = { customer: { id: 'c1', version: 1 }, contacts: ['old', 'new'] }
      expect(await aside.read('c360:c1', async () => fresh)).toEqual({ value: fresh, hit: false })
    })
  })
})

describe('CacheAside', () => {
  it('with write-through serves the written value as a hit without touching the store', async () => {
    const store = new FakeStore()
    const aside = new CacheAside(cacheFor('lru'), 'write-through')
    await aside.afterWrite(KEY, store.update('New'))
    const loadsBefore = store.loads
    expect(await aside.read(KEY, store.load)).toEqual({ value: { id: 'c1', name: 'New', version: 2 }, hit: true })
    expect(store.loads).toBe(loadsBefore)
  })

  it('does not cache "not found"', async () => {
    const store = new FakeStore()
    store.record = null
    const cache = cacheFor('lru')
    const aside = new CacheAside(cache, 'invalidate')
    expect(await aside.read(KEY, store.load)).toEqual({ value: null, hit: false })
    expect(await aside.read(KEY, store.load)).toEqual({ value: null, hit: false })
    expect(cache.stats().size).toBe(0)
  })

  it('with cache `none` always loads from the store and reports misses', async () => {
    const store = new FakeStore()
    const cache = cacheFor('none')
    const aside = new CacheAside(cache, 'write-through')
    await aside.afterWrite(KEY, store.update('New'))
    expect(await aside.read(KEY, store.load)).toMatchObject({ hit: false, value: { version: 2 } })
    expect(store.loads).toBe(1)
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1 })
  })

  it('a read still answers when the cache fails to fill', async () => {
    const broken: Cache = {
      name: 'lru',
      get: async () => undefined,
      set: async () => {
        throw new Error('cache down')
      },
      delete: async () => {},
      stats: () => ({ hits: 0, misses: 0, evictions: 0, size: 0 }),
      close: async () => {},
    }
    const aside = new CacheAside(broken, 'invalidate')
    expect(await aside.read('c360:c1', async () => ({ x: 1 }))).toEqual({ value: { x: 1 }, hit: false })
  })

  it('if write-through cannot store the new value it deletes the old one, and says so if that fails too', async () => {
    const deleted: string[] = []
    const flaky: Cache = {
      name: 'lru',
      get: async () => undefined,
      set: async () => {
        throw new Error('cache down')
      },
      delete: async (key) => {
        deleted.push(key)
      },
      stats: () => ({ hits: 0, misses: 0, evictions: 0, size: 0 }),
      close: async () => {},
    }
    await new CacheAside(flaky, 'write-through').afterWrite('c360:c1', { version: 2 })
    expect(deleted).toEqual(['c360:c1'])
    const dead: Cache = { ...flaky, delete: async () => Promise.reject(new Error('cache down')) }
    await expect(new CacheAside(dead, 'write-through').afterWrite('c360:c1', { version: 2 })).rejects.toThrow('cache down')
  })
})
