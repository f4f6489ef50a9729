import { describe, expect, it } from 'vitest'
import { createRequestGenerator } from './request-generator.js'
import { VersionTracker } from './version-tracker.js'
import type { Workload } from './workload.js'

const workload = (mix: Workload['mix']): Workload => ({
  mix,
  keys: { kind: 'uniform' },
  datasetSize: 100,
  seed: 7,
  load: { model: 'closed', connections: 1, durationS: 1 },
  requestTimeoutMs: 1000,
})
const dataset = (): { customerIds: string[] } => ({ customerIds: Array.from({ length: 100 }, (_, i) => `id-${i}`) })

describe('request generator', () => {
  it('follows the operation mix weights', () => {
    const gen = createRequestGenerator(workload({ get_customer: 6, search_customers: 3, update_customer: 1 }), dataset(), new VersionTracker())
    const counts: Record<string, number> = {}
    for (let i = 0; i < 30_000; i++) {
      const op = gen.next().op
      counts[op] = (counts[op] ?? 0) + 1
    }
    expect(counts.get_customer! / 30_000).toBeCloseTo(0.6, 1)
    expect(counts.search_customers! / 30_000).toBeCloseTo(0.3, 1)
    expect(counts.update_customer! / 30_000).toBeCloseTo(0.1, 1)
    expect(Object.keys(counts).sort()).toEqual(['get_customer', 'search_customers', 'update_customer'])
  })

  it('builds each operation as the CRM API expects', () => {
    const all = { get_customer: 1, search_customers: 1, customer_360: 1, create_customer: 1, update_customer: 1, add_activity: 1, list_deals: 1 }
    const gen = createRequestGenerator(workload(all), dataset(), new VersionTracker())
    const seen = new Map<string, ReturnType<typeof gen.next>>()
    for (let i = 0; i < 500 && seen.size < 7; i++) {
      const s = gen.next()
      seen.set(s.op, s)
    }
    expect(seen.get('get_customer')).toMatchObject({ method: 'GET', path: expect.stringMatching(/^\/customers\/id-\d+$/) })
    expect(seen.get('customer_360')?.path).toMatch(/^\/customers\/id-\d+\/360$/)
    expect(seen.get('list_deals')?.path).toMatch(/^\/customers\/id-\d+\/deals$/)
    expect(seen.get('search_customers')?.path).toMatch(/^\/customers\?q=[a-z]{2,3}&limit=20$/)
    const create = seen.get('create_customer')
    expect(create?.method).toBe('POST')
    expect(JSON.parse(create?.body ?? '')).toMatchObject({
      name: expect.any(String),
      email: expect.stringContaining('@'),
      company: expect.any(String),
      segment: expect.any(String),
    })
    const update = seen.get('update_customer')
    expect(update?.method).toBe('PATCH')
    expect(Object.keys(JSON.parse(update?.body ?? '{}'))).toHaveLength(1)
    const act = seen.get('add_activity')
    expect(act?.path).toMatch(/\/activities$/)
    expect(JSON.parse(act?.body ?? '')).toMatchObject({ type: expect.any(String), note: expect.any(String) })
  })

  it('gives unique emails to created customers', () => {
    const gen = createRequestGenerator(workload({ create_customer: 1 }), dataset(), new VersionTracker())
    const emails = new Set(Array.from({ length: 1000 }, () => (JSON.parse(gen.next().body ?? '') as { email: string }).email))
    expect(emails.size).toBe(1000)
  })

  it('same seed => same request sequence', () => {
    const mix = { get_customer: 3, create_customer: 1, search_customers: 1 }
    const a = createRequestGenerator(workload(mix), dataset(), new VersionTracker())
    const b = createRequestGenerator(workload(mix), dataset(), new VersionTracker())
    const sa = Array.from({ length: 200 }, () => a.next())
    expect(Array.from({ length: 200 }, () => b.next())).toEqual(sa)
  })

  it('appends created ids, tracks acknowledged versions and flags an older read as stale', () => {
    const ds = dataset()
    const versions = new VersionTracker()
    const gen = createRequestGenerator(workload({ get_customer: 1 }), ds, versions)
    gen.observe({ op: 'create_customer', method: 'POST', path: '/customers' }, 201, JSON.stringify({ id: 'new-1', version: 1 }))
    expect(ds.customerIds.at(-1)).toBe('new-1')
    gen.observe({ op: 'update_customer', method: 'PATCH', path: '/customers/id-3', customerId: 'id-3' }, 200, JSON.stringify({ id: 'id-3', version: 4 }))
    expect(versions.get('id-3')).toBe(4)
    const read = { op: 'get_customer' as const, method: 'GET' as const, path: '/customers/id-3', customerId: 'id-3', minVersion: 4 }
    expect(gen.needsBody(read)).toBe(true)
    expect(gen.observe(read, 200, JSON.stringify({ id: 'id-3', version: 3 }))).toBe(true)
    expect(gen.observe(read, 200, JSON.stringify({ id: 'id-3', version: 4 }))).toBe(false)
    expect(gen.observe({ ...read, op: 'customer_360', path: '/customers/id-3/360' }, 200, JSON.stringify({ customer: { version: 2 } }))).toBe(true)
  })

  it('streams of load agents draw different requests with the same hot keys as the workload (zipf, hotspot)', () => {
    const ids = { customerIds: Array.from({ length: 1000 }, (_, i) => `id-${i}`) }
    const counts = (w: Workload, stream: number): Array<[string, number]> => {
      const gen = createRequestGenerator(w, ids, new VersionTracker(), { stream })
      const n = new Map<string, number>()
      for (let i = 0; i < 20_000; i++) {
        const id = gen.next().customerId!
        n.set(id, (n.get(id) ?? 0) + 1)
      }
      return [...n].sort((a, b) => b[1] - a[1])
    }
    // zipf 1.1: ranks 1..3 get ~15%, 7%, 4.5% of the picks - far apart, so their order is stable.
    const zipf = { ...workload({ get_customer: 1 }), keys: { kind: 'zipf', s: 1.1 } as const, datasetSize: 1000 }
    const top3 = (stream: number): string[] =>
      counts(zipf, stream)
        .slice(0, 3)
        .map(([id]) => id)
    expect(top3(1)).toEqual(top3(0))
    expect(top3(3)).toEqual(top3(0))
    // hotspot: the 50 hot keys get ~360 picks each, the cold ones ~2.
    const hotspot = { ...workload({ get_customer: 1 }), keys: { kind: 'hotspot', hotKeyShare: 0.05, hotTrafficShare: 0.9 } as const, datasetSize: 1000 }
    const hot = (stream: number): string[] =>
      counts(hotspot, stream)
        .filter(([, n]) => n >= 100)
        .map(([id]) => id)
        .sort()
    expect(hot(0)).toHaveLength(50)
    expect(hot(2)).toEqual(hot(0))
    // ...but each stream its own sequence.
    const first = (stream: number): string[] => {
      const gen = createRequestGenerator(zipf, ids, new VersionTracker(), { stream })
      return Array.from({ length: 20 }, () => gen.next().customerId!)
    }
    expect(first(1)).not.toEqual(first(0))
    expect(first(1)).toEqual(first(1))
  })

  it('stream 0 is the workload’s own sequence', () => {
    const w = { ...workload({ get_customer: 3, update_customer: 1 }), keys: { kind: 'zipf', s: 1 } as const }
    const a = createRequestGenerator(w, dataset(), new VersionTracker())
    const b = createRequestGenerator(w, dataset(), new VersionTracker(), { stream: 0 })
    for (let i = 0; i < 100; i++) expect(b.next()).toEqual(a.next())
  })
})
