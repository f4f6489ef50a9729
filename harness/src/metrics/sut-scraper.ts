import { BALANCER_METRICS, HEALTH_PATH, METRIC_LABELS, METRICS_PATH, READY_PATH, REPLICA_METRICS, SHARD_METRICS } from '#crm-contract'
import { request } from 'undici'
import type { SutMetrics } from '../results/results-schema.js'
import { parsePrometheusText, sumBy, sumSamples, type PromSample } from './prometheus-text.js'

// Scrapes every member's /metrics once a second during the measured phase and turns counters
// into what the run did: cache hits/misses/evictions, requests per backend and per shard, and
// the cache hit rate of each second. Counters are accumulated scrape to scrape (a decrease
// means the member restarted: the new value is its increase, as Prometheus' rate() does), so
// a member killed or restarted by a fault costs only its missing scrapes. A member that does
// not answer is skipped, never fatal.

export interface ScrapeTarget {
  /** Member name (replica name, "balancer", "shard-0"); used as backend key for replicas without a balancer. */
  name: string
  role: 'replica' | 'shard' | 'balancer'
  metricsUrl: string
}

export interface ScrapeOutcome {
  sut: SutMetrics
  /** Cache hit rate of each second since start() (NaN for a second without cache lookups); empty when nothing caches. */
  perSecondCacheHitRate: number[]
  /** Members that never answered a scrape. */
  unreachable: string[]
}

/** Counters (monotonic) and gauges read from one member at one scrape. */
interface Reading {
  counters: Map<string, number>
  gauges: Map<string, number>
}

interface MemberState {
  target: ScrapeTarget
  prev?: Reading
  /** Increase of each counter since the first successful scrape. */
  increase: Map<string, number>
  lastGauges?: Map<string, number>
  answered: boolean
}

const SCRAPE_TIMEOUT_MS = 800
/** Routes that are the harness itself talking, not load. */
const OWN_ROUTES = new Set<string>([METRICS_PATH, HEALTH_PATH, READY_PATH])

function read(target: ScrapeTarget, samples: PromSample[]): Reading {
  const counters = new Map<string, number>()
  const gauges = new Map<string, number>()
  const counter = (key: string, v: number | undefined): void => {
    if (v !== undefined && Number.isFinite(v)) counters.set(key, v)
  }
  const gauge = (key: string, v: number | undefined): void => {
    if (v !== undefined && Number.isFinite(v)) gauges.set(key, v)
  }
  if (target.role === 'replica') {
    counter('cache:hits', sumSamples(samples, REPLICA_METRICS.cacheHits))
    counter('cache:misses', sumSamples(samples, REPLICA_METRICS.cacheMisses))
    counter('cache:evictions', sumSamples(samples, REPLICA_METRICS.cacheEvictions))
    gauge('cache:size', sumSamples(samples, REPLICA_METRICS.cacheSize))
    gauge('keysMoved', sumSamples(samples, REPLICA_METRICS.keysMovedIfShardAdded))
    for (const [shard, v] of Object.entries(sumBy(samples, REPLICA_METRICS.shardRequests, METRIC_LABELS.shard))) counter(`shard:${shard}`, v)
    let served = 0
    for (const s of samples) {
      const route = s.labels[METRIC_LABELS.route] ?? ''
      if (s.name === REPLICA_METRICS.httpRequests && !OWN_ROUTES.has(route) && !route.startsWith('/admin')) served += s.value
    }
    counter('served', served)
  } else if (target.role === 'balancer') {
    for (const [backend, v] of Object.entries(sumBy(samples, BALANCER_METRICS.requests, METRIC_LABELS.backend))) counter(`backend:${backend}`, v)
  } else {
    counter('shardServed', sumSamples(samples, SHARD_METRICS.requests))
  }
  return { counters, gauges }
}

export class SutScraper {
  private readonly members: MemberState[]
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<void> | undefined
  /** Cache hits and misses per second of the run, attributed by the midpoint of each scrape interval. */
  private readonly perSecond: Array<{ hits: number; misses: number }> = []
  private startMs = 0
  private lastScrapeMs = 0

  constructor(
    members: ScrapeTarget[],
    private readonly intervalMs = 1000,
  ) {
    this.members = members.map((target) => ({ target, increase: new Map(), answered: false }))
  }

  /**
   * Called when the measured phase begins: takes the baseline scrape, then one per interval.
   * The promise resolves once the baseline is taken (awaiting it is optional; it never rejects).
   */
  start(): Promise<void> {
    this.startMs = Date.now()
    this.lastScrapeMs = 0
    this.inFlight = this.scrapeAll()
    this.timer = setInterval(() => {
      if (this.inFlight) return // a slow scrape: skip this tick rather than pile up
      this.inFlight = this.scrapeAll().finally(() => {
        this.inFlight = undefined
      })
    }, this.intervalMs)
    this.timer.unref()
    const baseline = this.inFlight
    void baseline.finally(() => {
      if (this.inFlight === baseline) this.inFlight = undefined
    })
    return baseline
  }

  /** Called when the measured phase ends: a last scrape, then the totals. */
  async stop(): Promise<ScrapeOutcome> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    if (this.inFlight) await this.inFlight
    await this.scrapeAll()
    return this.outcome()
  }

  private async scrapeAll(): Promise<void> {
    const readings = await Promise.all(this.members.map((m) => this.scrape(m.target)))
    let hits = 0
    let misses = 0
    let anyCache = false
    readings.forEach((reading, i) => {
      if (!reading) return
      const m = this.members[i]!
      m.answered = true
      if (m.prev) {
        for (const [key, v] of reading.counters) {
          const before = m.prev.counters.get(key)
          const inc = before === undefined ? 0 : v >= before ? v - before : v
          m.increase.set(key, (m.increase.get(key) ?? 0) + inc)
          if (key === 'cache:hits') {
            hits += inc
            anyCache = true
          } else if (key === 'cache:misses') {
            misses += inc
            anyCache = true
          }
        }
      }
      m.prev = reading
      m.lastGauges = reading.gauges
    })
    const now = Date.now()
    if (anyCache && this.lastScrapeMs > 0) {
      const second = Math.max(0, Math.floor(((this.lastScrapeMs + now) / 2 - this.startMs) / 1000))
      const cell = (this.perSecond[second] ??= { hits: 0, misses: 0 })
      cell.hits += hits
      cell.misses += misses
    }
    this.lastScrapeMs = now
  }

  private async scrape(target: ScrapeTarget): Promise<Reading | undefined> {
    try {
      const res = await request(target.metricsUrl, { headersTimeout: SCRAPE_TIMEOUT_MS, bodyTimeout: SCRAPE_TIMEOUT_MS })
      const text = await res.body.text()
      if (res.statusCode !== 200) return undefined
      return read(target, parsePrometheusText(text))
    } catch {
      return undefined
    }
  }

  private outcome(): ScrapeOutcome {
    const sut: SutMetrics = { backends: {}, shards: {} }
    const add = (rec: Record<string, number>, key: string, v: number): void => {
      rec[key] = (rec[key] ?? 0) + v
    }
    const hasBalancer = this.members.some((m) => m.target.role === 'balancer' && m.answered)
    let hits = 0
    let misses = 0
    let evictions = 0
    let size = 0
    let cacheSeen = false
    const moved: number[] = []
    for (const m of this.members) {
      for (const [key, v] of m.increase) {
        if (key.startsWith('backend:')) add(sut.backends, key.slice('backend:'.length), v)
        else if (key.startsWith('shard:')) add(sut.shards, key.slice('shard:'.length), v)
        else if (key === 'served' && !hasBalancer) add(sut.backends, m.target.name, v)
        else if (key === 'cache:hits') {
          hits += v
          cacheSeen = true
        } else if (key === 'cache:misses') {
          misses += v
          cacheSeen = true
        } else if (key === 'cache:evictions') evictions += v
      }
      size += m.lastGauges?.get('cache:size') ?? 0
      const km = m.lastGauges?.get('keysMoved')
      if (km !== undefined) moved.push(km)
    }
    // Without replica-side shard counters (e.g. only shard servers scraped), count at the shards.
    if (Object.keys(sut.shards).length === 0) {
      this.members.forEach((m) => {
        const v = m.increase.get('shardServed')
        if (v !== undefined) add(sut.shards, m.target.name, v)
      })
    }
    if (cacheSeen && hits + misses > 0) sut.cache = { hits, misses, evictions, size }
    if (moved.length > 0) sut.keysMovedIfShardAdded = moved.reduce((a, b) => a + b, 0) / moved.length
    const perSecondCacheHitRate = sut.cache ? Array.from(this.perSecond, (v) => (v && v.hits + v.misses > 0 ? v.hits / (v.hits + v.misses) : Number.NaN)) : []
    return { sut, perSecondCacheHitRate, unreachable: this.members.filter((m) => !m.answered).map((m) => m.target.name) }
  }
}
