import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { SutScraper } from '../src/metrics/sut-scraper.js'
import { StubCrmServer } from './support/stub-crm-server.js'

const stubs: StubCrmServer[] = []
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close().catch(() => undefined)))
})

async function hit(base: URL, id: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await (await request(new URL(`/customers/${id}`, base))).body.dump()
}

describe('SutScraper (the SUT /metrics scraper)', () => {
  it('turns counters into per-run deltas and per-second cache hit rates, and survives a member dying', async () => {
    const a = new StubCrmServer({ name: 'replica-a' })
    const b = new StubCrmServer({ name: 'replica-b' })
    stubs.push(a, b)
    const [ua, ub] = [await a.start(), await b.start()]
    await hit(ua, 'x', 40) // before start(): must not count
    const dead = 'http://127.0.0.1:9/metrics' // nothing listens on port 9
    const scraper = new SutScraper(
      [
        { name: 'replica-a', role: 'replica', metricsUrl: new URL('/metrics', ua).href },
        { name: 'replica-b', role: 'replica', metricsUrl: new URL('/metrics', ub).href },
        { name: 'ghost', role: 'replica', metricsUrl: dead },
      ],
      200,
    )
    await scraper.start()
    await hit(ua, 'x', 80)
    await hit(ub, 'x', 40)
    await new Promise((r) => setTimeout(r, 1200))
    const { sut, perSecondCacheHitRate, unreachable } = await scraper.stop()
    // The stub reports 75% of its reads as cache hits.
    expect(sut.cache?.hits).toBe(90)
    expect(sut.cache?.misses).toBe(30)
    expect(unreachable).toEqual(['ghost'])
    // No balancer: requests per replica come from each replica's own counter (scrapes included).
    expect(sut.backends['replica-a']).toBeGreaterThanOrEqual(80)
    expect(sut.backends['replica-b']).toBeGreaterThanOrEqual(40)
    expect(sut.backends['replica-a']).toBeGreaterThan(sut.backends['replica-b'])
    expect(Object.keys(sut.shards)).toEqual(['0'])
    expect(perSecondCacheHitRate.length).toBeGreaterThanOrEqual(1)
    expect(perSecondCacheHitRate[0]).toBeCloseTo(0.75, 1)
  })

  it('takes per-backend counts from the balancer and survives a counter reset (a restarted member)', async () => {
    // A fake balancer whose counters grow by 10/20 per scrape and restart from 0 on the 3rd scrape.
    let scrapes = 0
    const server = http.createServer((_req, res) => {
      scrapes++
      const n = scrapes >= 3 ? scrapes - 3 : scrapes
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end(`lb_requests_total{backend="http://127.0.0.1:8001"} ${10 * n}\nlb_requests_total{backend="http://127.0.0.1:8002"} ${20 * n}\n`)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const { port } = server.address() as AddressInfo
      const scraper = new SutScraper([{ name: 'balancer', role: 'balancer', metricsUrl: `http://127.0.0.1:${port}/metrics` }], 50)
      await scraper.start()
      while (scrapes < 4) await new Promise((r) => setTimeout(r, 20))
      const { sut, perSecondCacheHitRate } = await scraper.stop()
      // Readings 1, 2, 0 (restart), 1, 2, ...: every scrape after the baseline adds one step except the reset one.
      const steps = scrapes - 2
      expect(sut.backends).toEqual({ 'http://127.0.0.1:8001': 10 * steps, 'http://127.0.0.1:8002': 20 * steps })
      expect(sut.cache).toBeUndefined()
      expect(perSecondCacheHitRate).toEqual([])
    } finally {
      server.close()
    }
  })
})
