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

  it('loads 10k customers in one bulk call, every one findable by id and by prefix', async () => {
    // How fast is `make bench`'s question (bench/shard-store-bulk.ts), not a test's.
    const store = new MemoryShardStore()
    const cs = Array.from({ length: 10_000 }, (_, i) => customer(`Person ${i}`, `p${i}@example.com`))
    await store.insertCustomers(cs)
    expect(await store.countCustomers()).toBe(10_000)
    for (const i of [0, 4_999, 9_999]) expect((await store.getCustomer(cs[i]!.id))?.email).toBe(`p${i}@example.com`)
    expect((await store.searchCustomers('person 9999', 10, null)).items.map((c) => c.id)).toEqual([cs[9_999]!.id])
  })

  it('agrees with a brute-force search for many prefixes, page sizes and cursors', async () => {
    const store = new MemoryShardStore()
    let seed = 7
    const random = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32
    const letters = 'abcde'
    const word = (n: number): string => Array.from({ length: n }, () => letters[Math.floor(random() * letters.length)]).join('')
    const cs = Array.from({ length: 2000 }, () => customer(`${word(3)} ${word(2)}`, `${word(4)}@x.io`))
    await store.insertCustomers(cs.slice(0, 1000))
    for (const c of cs.slice(1000)) await store.insertCustomer(c)
    const key = (c: { name: string; id: string }) => [c.name.toLowerCase(), c.id] as const
    for (let round = 0; round < 60; round++) {
      const prefix = word(1 + Math.floor(random() * 3))
      const limit = 1 + Math.floor(random() * 30)
      const expected = cs
        .filter((c) => c.name.toLowerCase().startsWith(prefix) || c.email.toLowerCase().startsWith(prefix))
        .sort((x, y) => (key(x)[0] !== key(y)[0] ? (key(x)[0] < key(y)[0] ? -1 : 1) : x.id < y.id ? -1 : 1))
      const start = Math.floor(random() * expected.length)
      const after = expected.length === 0 ? null : { nameKey: expected[start]!.name.toLowerCase(), id: expected[start]!.id }
      const want = (after === null ? expected : expected.slice(start + 1)).slice(0, limit).map((c) => c.id)
      expect((await store.searchCustomers(prefix, limit, after)).items.map((c) => c.id)).toEqual(want)
    }
  })

  it('leaves the shard unchanged when a bulk contains a duplicate id', async () => {
    const store = new MemoryShardStore()
    const a = customer('A', 'a@x.io')
    await expect(store.insertCustomers([a, customer('B', 'b@x.io'), a])).rejects.toThrow(/already exists/)
    expect(await store.countCustomers()).toBe(0)
  })
})
