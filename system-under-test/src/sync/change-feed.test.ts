import { describe, expect, it } from 'vitest'
import { ValidationError } from '../domain/domain-errors.js'
import { MemoryShardStore } from '../storage/memory-shard-store.js'
import { decodeChangesCursor, encodeChangesCursor } from './changes-cursor.js'

const base = {
  name: 'Ada',
  email: 'ada@example.com',
  company: 'Acme',
  segment: 'smb' as const,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
}

describe('the shard change feed (outbox)', () => {
  it('records every customer change in order with its version, a delete as a tombstone one version up', async () => {
    const store = new MemoryShardStore()
    await store.insertCustomer({ ...base, id: 'cus_a' })
    await store.insertCustomers([{ ...base, id: 'cus_b', email: 'b@example.com' }])
    await store.updateCustomer('cus_a', { company: 'Other' }, '2026-01-02T00:00:00.000Z')
    await store.deleteCustomer('cus_a')
    await store.insertContact({ id: 'con_1', customerId: 'cus_b', name: 'C', email: 'c@example.com', phone: null, role: null, createdAt: base.createdAt })
    const page = await store.changesSince(0, 100)
    expect(page.items.map((e) => [e.seq, e.id, e.version, e.op])).toEqual([
      [1, 'cus_a', 1, 'upsert'],
      [2, 'cus_b', 1, 'upsert'],
      [3, 'cus_a', 2, 'upsert'],
      [4, 'cus_a', 3, 'delete'],
    ])
    expect(page.items[2]!.customer?.company).toBe('Other')
    expect(page.head).toBe(4)
    expect((await store.changesSince(2, 1)).items.map((e) => e.seq)).toEqual([3])
  })

  it('a failed insert leaves nothing in the feed', async () => {
    const store = new MemoryShardStore()
    await store.insertCustomer({ ...base, id: 'cus_a' })
    await expect(
      store.insertCustomers([
        { ...base, id: 'cus_c' },
        { ...base, id: 'cus_a' },
      ]),
    ).rejects.toThrow()
    expect(store.feedHead()).toBe(1)
  })

  it('the changes cursor round-trips and a tampered one is a validation error naming `after`', () => {
    const cursor = encodeChangesCursor([
      { epoch: 'e1', seq: 4 },
      { epoch: 'e2', seq: 0 },
    ])
    expect(decodeChangesCursor(cursor, 2)).toEqual([
      { epoch: 'e1', seq: 4 },
      { epoch: 'e2', seq: 0 },
    ])
    expect(() => decodeChangesCursor(cursor, 3)).toThrow(/3 shards/)
    expect(() => decodeChangesCursor('not a cursor!', 2)).toThrow(ValidationError)
    expect(() => decodeChangesCursor(Buffer.from('{"x":1}').toString('base64url'), 2)).toThrow(/after/)
  })
})
