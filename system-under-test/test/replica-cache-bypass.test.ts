import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CAPACITY } from '../src/capacity/create-capacity-model.js'
import { startReplica, type StartedReplica } from '../src/replica/start-replica.js'
import { send } from './support/balancer-http.js'
import { startReplicaStack, type ReplicaStack } from './support/replica-stack.js'

// A reader that must see what the shards store (the harness verifying its writes after a run)
// sends `Cache-Control: no-cache`: the replica then reads from the shards and leaves its cache as
// it was. Before, such a read was served from a per-replica cache that another replica's writes
// had made stale, and write verification reported writes as lost that were stored.

let cached: ReplicaStack
let other: StartedReplica

beforeAll(async () => {
  cached = await startReplicaStack({ cache: 'lru', cacheSize: 1000 })
  // A second replica over the same shards, without a cache: its writes never reach the first one's cache.
  other = await startReplica({
    host: '127.0.0.1',
    port: 0,
    shards: cached.shards.map((s) => s.url),
    store: 'embedded',
    partition: 'hash',
    virtualNodes: 160,
    rangeStartMs: 0,
    rangeEndMs: 1,
    cache: 'none',
    cacheSize: 1,
    cacheTtlMs: 0,
    writePolicy: 'invalidate',
    capacity: { ...DEFAULT_CAPACITY },
  })
})

afterAll(async () => {
  await other.close()
  await cached.close()
})

const NO_CACHE = { 'cache-control': 'no-cache' }

describe('Cache-Control: no-cache on reads', () => {
  it('reads the stored customer past a stale cached copy, and neither reads nor fills the cache', async () => {
    const created = await send(cached.url, '/customers', {
      method: 'POST',
      body: { name: 'Grace', email: 'grace@bypass.test', company: 'Navy', segment: 'smb' },
    })
    const id = (created.body as { id: string }).id
    expect((await send(cached.url, `/customers/${id}`)).headers['x-cache']).toBe('miss')
    expect((await send(cached.url, `/customers/${id}`)).headers['x-cache']).toBe('hit')
    // Written through the other replica: the first one's cache still holds version 1.
    expect((await send(other.url, `/customers/${id}`, { method: 'PATCH', body: { company: 'Harvard' } })).status).toBe(200)
    expect((await send(cached.url, `/customers/${id}`)).body).toMatchObject({ version: 1 })

    const verified = await send(cached.url, `/customers/${id}`, { headers: NO_CACHE })
    expect(verified.status).toBe(200)
    expect(verified.headers['x-cache']).toBe('bypass')
    expect(verified.body).toMatchObject({ version: 2, company: 'Harvard' })
    // The bypass did not refresh the cache either: ordinary readers see what they saw before.
    const after = await send(cached.url, `/customers/${id}`)
    expect(after.headers['x-cache']).toBe('hit')
    expect(after.body).toMatchObject({ version: 1 })
    // Other spellings of the directive count too.
    expect((await send(cached.url, `/customers/${id}`, { headers: { 'cache-control': 'max-age=0, No-Cache' } })).body).toMatchObject({ version: 2 })
  })

  it('reads the 360 view from the shards, and a bypassed read does not fill the cache', async () => {
    const created = await send(cached.url, '/customers', {
      method: 'POST',
      body: { name: 'Ada', email: 'ada@bypass.test', company: 'Engines', segment: 'smb' },
    })
    const id = (created.body as { id: string }).id
    const first = await send(cached.url, `/customers/${id}/360`, { headers: NO_CACHE })
    expect(first.headers['x-cache']).toBe('bypass')
    // Nothing was filled by it: the next ordinary read is a miss, then a hit.
    expect((await send(cached.url, `/customers/${id}/360`)).headers['x-cache']).toBe('miss')
    expect((await send(cached.url, `/customers/${id}/360`)).headers['x-cache']).toBe('hit')
    expect((await send(other.url, `/customers/${id}/activities`, { method: 'POST', body: { type: 'call', note: 'hello' } })).status).toBe(201)
    expect(((await send(cached.url, `/customers/${id}/360`)).body as { latestActivities: unknown[] }).latestActivities).toHaveLength(0)
    const fresh = await send(cached.url, `/customers/${id}/360`, { headers: NO_CACHE })
    expect((fresh.body as { latestActivities: unknown[] }).latestActivities).toHaveLength(1)
    // The same for a customer read: a bypass never fills.
    expect((await send(cached.url, `/customers/${id}`, { headers: NO_CACHE })).headers['x-cache']).toBe('bypass')
    expect((await send(cached.url, `/customers/${id}`)).headers['x-cache']).toBe('miss')
  })
})
