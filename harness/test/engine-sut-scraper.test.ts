import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
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
      // No periodic scrape in this test: the baseline at start() and the last one at stop().
      60_000,
    )
    await scraper.start()
    await hit(ua, 'x', 80)
    await hit(ub, 'x', 40)
    const { sut, perSecondCacheHitRate, unreachable } = await scraper.stop()
    // The stub reports 75% of its reads as cache hits.
    expect(sut.cache?.hits).toBe(90)
    expect(sut.cache?.misses).toBe(30)
    expect(unreachable).toEqual(['ghost'])
    // No balancer: requests per replica come from each replica's own counter (scrapes included).
    expect(sut.backends['replica-a']).toBeGreaterThanOrEqual(80)
    expect(sut.backends['replica-b']).toBeGreaterThanOrEqual(40)
    expect(sut.backends['replica-a']).toBeGreaterThan(sut.backends['replica-b']!)
    expect(Object.keys(sut.shards)).toEqual(['0'])
    // One interval (baseline to last scrape), filed under the second of its midpoint (which
    // second depends on how long the requests took: the next test pins that on a fake clock).
    expect(perSecondCacheHitRate.filter(Number.isFinite)).toEqual([0.75])
  })

  it("files each scrape interval's hits and misses under the second it covered", async () => {
    // A fake clock for Date and the scrape interval (the scrapes themselves are real HTTP): the
    // replica's counters are set between scrapes, so each second's hit rate is known exactly.
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] })
    try {
      let counters = { hits: 0, misses: 0 }
      let scrapes = 0
      const server = http.createServer((_req, res) => {
        scrapes++
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end(`crm_cache_hits_total ${counters.hits}\ncrm_cache_misses_total ${counters.misses}\n`)
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      try {
        const { port } = server.address() as AddressInfo
        const scraper = new SutScraper([{ name: 'replica-1', role: 'replica', metricsUrl: `http://127.0.0.1:${port}/metrics` }], 1000)
        await scraper.start()
        // The scrape the interval started is done once the scraper no longer has one in flight
        // (its private field: the only sign of it, and the test must not guess with a sleep).
        const scraping = () => (scraper as unknown as { inFlight?: Promise<void> }).inFlight !== undefined
        const scrapeAt = async (counts: typeof counters) => {
          counters = counts
          const before = scrapes
          vi.advanceTimersByTime(1000)
          while (scrapes === before || scraping()) await new Promise((r) => setTimeout(r, 5))
        }
        await scrapeAt({ hits: 30, misses: 10 }) // second 0: 30 hits of 40
        await scrapeAt({ hits: 40, misses: 40 }) // second 1: 10 of 40
        await scrapeAt({ hits: 40, misses: 40 }) // second 2: no lookups
        await scrapeAt({ hits: 80, misses: 40 }) // second 3: 40 of 40
        counters = { hits: 80, misses: 60 } // second 4, until stop(): 0 of 20
        vi.advanceTimersByTime(500)
        const { sut, perSecondCacheHitRate } = await scraper.stop()
        expect(perSecondCacheHitRate).toEqual([0.75, 0.25, Number.NaN, 1, 0])
        expect(sut.cache).toMatchObject({ hits: 80, misses: 60 })
      } finally {
        server.close()
      }
    } finally {
      vi.useRealTimers()
    }
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
