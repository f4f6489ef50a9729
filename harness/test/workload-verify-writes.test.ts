import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { VersionTracker } from '../src/workload/version-tracker.js'
import { verifyWrites } from '../src/workload/verify-writes.js'

// The read-back after a run must see the store, not a cache: behind round-robin, replicas with
// their own caches may still hold an old version of a record that was safely written (a stale
// read, not a lost write). The contract is the header `Cache-Control: no-cache`, which the
// replica honours by reading from its shard. The stub below plays two replicas behind
// round-robin whose caches hold version 1 of every record while the store has version 2.

let server: http.Server | null = null
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = null
})

async function stub(handler: (id: string, bypassCache: boolean, hit: number) => { status: number; version?: number }): Promise<URL> {
  let hits = 0
  server = http.createServer((req, res) => {
    const id = decodeURIComponent(/^\/customers\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '')
    const bypass = /(^|,)\s*no-cache\s*(,|$)/i.test(String(req.headers['cache-control'] ?? ''))
    const answer = handler(id, bypass, hits++)
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(answer.version === undefined ? '{"error":"unavailable"}' : JSON.stringify({ id, version: answer.version }))
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

function tracked(n: number, version: number): VersionTracker {
  const versions = new VersionTracker()
  for (let i = 0; i < n; i++) versions.acknowledge(`c-${i}`, version)
  return versions
}

describe('verifyWrites', () => {
  it('reads past every cache: stale per-replica caches do not make safe writes look lost', async () => {
    // Replica A (even hits) always answers from its stale cache unless told to bypass it;
    // replica B (odd hits) too: without the header every read is stale on every attempt.
    const target = await stub((_id, bypass) => ({ status: 200, version: bypass ? 2 : 1 }))
    const result = await verifyWrites(target, tracked(200, 2), new AbortController().signal)
    expect(result).toEqual({ count: 0, checked: 200, unverified: 0 })
  })

  it('counts records that give no usable answer as unverified, not as kept or lost', async () => {
    const target = await stub((id) => (Number(id.slice(2)) % 4 === 0 ? { status: 503 } : { status: 200, version: 2 }))
    const result = await verifyWrites(target, tracked(200, 2), new AbortController().signal)
    expect(result).toEqual({ count: 0, checked: 150, unverified: 50 })
  })

  it('counts a record missing from the store as lost', async () => {
    const target = await stub((id) => (id === 'c-7' ? { status: 404 } : { status: 200, version: 2 }))
    const result = await verifyWrites(target, tracked(20, 2), new AbortController().signal)
    expect(result).toEqual({ count: 1, checked: 20, unverified: 0 })
  })
})
