import { afterEach, describe, expect, it } from 'vitest'
import { startBalancer, type RunningBalancer } from '../src/balancer/start-balancer.js'
import { closeAll, startStubBackends, type StubBackend } from './support/balancer-stub-backend.js'
import { runLoad, send, tally } from './support/balancer-http.js'
import { TEST_ADMIN_TOKEN } from './support/sut-processes.js'

// The built-in balancer in this process, against stub backends: proxying, admin controls,
// metrics, retry rules. Failure behaviour under load is in balancer-failover.test.ts.

let stubs: StubBackend[] = []
let balancer: RunningBalancer | null = null

afterEach(async () => {
  await balancer?.close()
  balancer = null
  await closeAll(stubs)
  stubs = []
})

async function start(strategy: string, count: number, extra: Record<string, unknown> = {}) {
  stubs = await startStubBackends(count)
  balancer = await startBalancer({
    strategy: strategy as 'round-robin',
    backends: stubs.map((s) => s.url),
    healthIntervalMs: 200,
    healthTimeoutMs: 5000,
    adminToken: TEST_ADMIN_TOKEN,
    ...extra,
  })
  return balancer
}

describe('built-in balancer', () => {
  it('proxies method, path and body, and names the backend in X-Backend', async () => {
    const lb = await start('round-robin', 2)
    const answer = await send(lb.url, '/customers/abc/deals?x=1', { method: 'POST', body: { amount: 5 }, headers: { 'x-request-id': 'r1' } })
    expect(answer.status).toBe(201)
    expect(stubs.map((s) => s.url)).toContain(answer.backend)
    expect(answer.body).toMatchObject({ method: 'POST', path: '/customers/abc/deals?x=1', bodyBytes: 12, backend: answer.backend })
  })

  it('round-robin spreads GETs exactly evenly', async () => {
    const lb = await start('round-robin', 3)
    const backends: (string | null)[] = []
    for (let i = 0; i < 30; i++) backends.push((await send(lb.url, '/customers')).backend)
    expect([...tally(backends).values()]).toEqual([10, 10, 10])
  })

  it('consistent-hash keeps a customer on one backend', async () => {
    const lb = await start('consistent-hash', 3)
    for (let c = 0; c < 10; c++) {
      const seen = new Set<string | null>()
      for (const path of [`/customers/c${c}`, `/customers/c${c}/360`, `/customers/c${c}/deals`]) seen.add((await send(lb.url, path)).backend)
      expect(seen.size).toBe(1)
    }
  })

  it('a drained backend gets nothing new; undrain brings it back; weights change shares', async () => {
    const lb = await start('weighted-round-robin', 2)
    const admin = lb.adminUrl
    const drained = await send(admin, '/admin/backends/drain', { method: 'POST', body: { url: stubs[0]!.url } })
    expect(drained.status).toBe(200)
    expect((drained.body as { backends: { url: string; draining: boolean }[] }).backends[0]).toMatchObject({ url: stubs[0]!.url, draining: true })
    for (let i = 0; i < 10; i++) expect((await send(lb.url, '/x')).backend).toBe(stubs[1]!.url)

    expect((await send(admin, '/admin/backends/undrain', { method: 'POST', body: { url: stubs[0]!.url } })).status).toBe(200)
    expect((await send(admin, '/admin/weights', { method: 'POST', body: { [stubs[0]!.url]: 3 } })).status).toBe(200)
    const seen: (string | null)[] = []
    for (let i = 0; i < 40; i++) seen.push((await send(lb.url, '/x')).backend)
    expect(tally(seen).get(stubs[0]!.url)).toBe(30)

    const unknown = await send(admin, '/admin/backends/drain', { method: 'POST', body: { url: 'http://127.0.0.1:1' } })
    expect(unknown.status).toBe(404)
    expect(JSON.stringify(unknown.body)).toContain(stubs[0]!.url)
    const bad = await send(admin, '/admin/weights', { method: 'POST', body: { [stubs[0]!.url]: -1 } })
    expect(bad.status).toBe(400)
  })

  it('answers 503 with the common error body when no backend is eligible', async () => {
    const lb = await start('p2c', 1)
    await send(lb.adminUrl, '/admin/backends/drain', { method: 'POST', body: { url: stubs[0]!.url } })
    const answer = await send(lb.url, '/customers/1')
    expect(answer.status).toBe(503)
    expect(answer.body).toMatchObject({ error: { code: 'no_backend' } })
    expect(answer.backend).toBeNull()
  })

  it('retries a GET on another backend when its backend refuses, never a POST', async () => {
    const lb = await start('round-robin', 2, { ejectAfter: 100, healthIntervalMs: 60_000 })
    await stubs[0]!.kill()
    const gets = await Promise.all(Array.from({ length: 10 }, () => send(lb.url, '/customers/1')))
    expect(gets.map((g) => g.status)).toEqual(Array(10).fill(200))
    expect(new Set(gets.map((g) => g.backend))).toEqual(new Set([stubs[1]!.url]))

    const posts = []
    for (let i = 0; i < 4; i++) posts.push(await send(lb.url, '/customers', { method: 'POST', body: {}, headers: { 'x-request-id': `p${i}` } }))
    const statuses = posts.map((p) => p.status).sort()
    // Round-robin alternates: two POSTs went to the dead backend and were answered 502, not retried.
    expect(statuses).toEqual([201, 201, 502, 502])
    expect(posts.find((p) => p.status === 502)?.body).toMatchObject({ error: { code: 'bad_gateway' } })
    expect(stubs[1]!.appliedWrites).toHaveLength(2)

    const metrics = String((await send(lb.url, '/metrics')).body)
    // Every GET that met the dead backend was retried once; the two POSTs that met it were not.
    const connectErrors = Number(new RegExp(`^lb_errors_total\\{backend="${stubs[0]!.url}",kind="connect"\\} (\\d+)$`, 'm').exec(metrics)?.[1])
    const retries = Number(/^lb_retries_total (\d+)$/m.exec(metrics)?.[1])
    expect(retries).toBeGreaterThan(0)
    expect(retries).toBe(connectErrors - 2)
    expect(metrics).toContain(`lb_requests_total{backend="${stubs[1]!.url}"}`)
  })

  it('ejects a backend after consecutive 5xx answers and reports it', async () => {
    const lb = await start('round-robin', 2, { ejectAfter: 2, ejectMs: 60_000 })
    stubs[0]!.failStatus = 500
    const seen: (string | null)[] = []
    for (let i = 0; i < 20; i++) seen.push((await send(lb.url, '/x')).backend)
    expect(tally(seen).get(stubs[0]!.url)).toBe(2)
    const state = await send(lb.adminUrl, '/admin/backends')
    expect((state.body as { backends: { ejected: boolean; ejections: number }[] }).backends[0]).toMatchObject({ ejected: true, ejections: 1 })
    const metrics = await send(lb.adminUrl, '/metrics')
    expect(String(metrics.body)).toContain(`lb_ejections_total{backend="${stubs[0]!.url}"} 1`)
    expect(String(metrics.body)).toContain(`lb_backend_up{backend="${stubs[0]!.url}"} 0`)
  })

  it('POSTs in flight when a backend dies are applied at most once (backends record request ids)', async () => {
    const lb = await start('least-connections', 3, { healthIntervalMs: 60_000 })
    for (const stub of stubs) stub.delayMs = 15
    let killNow = false
    const load = runLoad(lb.url, {
      total: 150,
      concurrency: 8,
      method: 'POST',
      body: () => ({}),
      path: (i) => {
        if (i === 40) killNow = true
        return '/customers'
      },
      headers: (i) => ({ 'x-request-id': `req-${i}` }),
    })
    await expect.poll(() => killNow, { timeout: 30_000, interval: 2 }).toBe(true)
    await stubs[0]!.kill()
    const results = await load
    const applied = stubs.flatMap((s) => s.appliedWrites)
    expect(applied.length).toBe(new Set(applied).size) // no id applied twice
    for (const r of results) {
      const times = applied.filter((id) => id === `req-${r.index}`).length
      if (r.status === 201) expect(times, `req-${r.index}`).toBe(1)
      else expect(r.status).toBe(502)
    }
    expect(results.some((r) => r.status === 502)).toBe(true)
    expect(String((await send(lb.adminUrl, '/metrics')).body)).toMatch(/^lb_retries_total 0$/m)
  })
})
