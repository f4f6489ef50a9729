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
})
