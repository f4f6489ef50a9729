import { describe, expect, it } from 'vitest'
import { customer, shardStoreContract } from '../../test/support/shard-store-contract.js'
import { MemoryShardStore } from './memory-shard-store.js'

shardStoreContract('MemoryShardStore', {
  async fresh() {
    const store = new MemoryShardStore()
    await store.init()
    return store
  },
})

describe('MemoryShardStore', () => {
  it('hands out copies, so a caller mutating a result cannot change the shard', async () => {
    const store = new MemoryShardStore()
    const c = customer('Copy Me', 'copy@example.com')
    await store.insertCustomer(c)
    c.name = 'changed by caller'
    const got = await store.getCustomer(c.id)
    expect(got?.name).toBe('Copy Me')
    if (got) got.version = 99
    expect((await store.getCustomer(c.id))?.version).toBe(1)
  })

  it('loads 10k customers in one bulk call well under a second', async () => {
    const store = new MemoryShardStore()
    const cs = Array.from({ length: 10_000 }, (_, i) => customer(`Person ${i}`, `p${i}@example.com`))
    const started = performance.now()
    await store.insertCustomers(cs)
    const ms = performance.now() - started
    expect(await store.countCustomers()).toBe(10_000)
    // Generous bound on a shared 2-core box: a quadratic path would take many seconds.
    expect(ms).toBeLessThan(1000)
  })

  it('leaves the shard unchanged when a bulk contains a duplicate id', async () => {
    const store = new MemoryShardStore()
    const a = customer('A', 'a@x.io')
    await expect(store.insertCustomers([a, customer('B', 'b@x.io'), a])).rejects.toThrow(/already exists/)
    expect(await store.countCustomers()).toBe(0)
  })
})
