import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { CapacityStats } from '../capacity/capacity-model.js'
import { REPLICA_METRICS as NAMES } from '../contract/metric-names.js'
import type { ShardCallObserver } from '../domain/crm-service.js'
import type { CacheStats } from '../strategies/cache/cache.js'

// The replica's Prometheus metrics (their names are the contract with the harness's scraper,
// src/contract/metric-names.ts). Own Registry, so several replicas in one test process do not collide.
// Cache and capacity figures are read from their owners at scrape time, not pushed per request.

export interface ReplicaMetricsSources {
  /** Called on every scrape. */
  cacheStats(): CacheStats
  /** Called on every scrape. */
  capacityStats(): CapacityStats
  /** Share of keys that would move to another shard if one shard were added (computed once at start). */
  keysMovedIfShardAddedRatio: number
}

export interface ReplicaMetrics extends ShardCallObserver {
  readonly registry: Registry
  /** Called once per finished HTTP response. */
  observeHttp(route: string, method: string, status: number, seconds: number): void
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export function createReplicaMetrics(sources: ReplicaMetricsSources): ReplicaMetrics {
  const registry = new Registry()
  const registers = [registry]
  collectDefaultMetrics({ register: registry })

  const httpRequests = new Counter({
    name: NAMES.httpRequests,
    help: 'HTTP requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  })
  const httpDuration = new Histogram({
    name: NAMES.httpRequestDuration,
    help: 'HTTP request duration by route pattern',
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const shardRequests = new Counter({ name: NAMES.shardRequests, help: 'Calls this replica made to each shard', labelNames: ['shard'] as const, registers })
  const shardDuration = new Histogram({
    name: NAMES.shardRequestDuration,
    help: 'Duration of calls to each shard',
    labelNames: ['shard'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  })

  // Counters fed from a snapshot: reset then inc keeps them monotonic as long as the source is.
  const fromSnapshot = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(Math.max(0, read()))
      },
    })
  fromSnapshot(NAMES.cacheHits, 'Cache hits (customer and 360 reads)', () => sources.cacheStats().hits)
  fromSnapshot(NAMES.cacheMisses, 'Cache misses', () => sources.cacheStats().misses)
  fromSnapshot(NAMES.cacheEvictions, 'Entries the cache evicted to stay within its size', () => sources.cacheStats().evictions)
  new Gauge({
    name: NAMES.cacheSize,
    help: 'Entries in the cache now (-1 when unknown)',
    registers,
    collect() {
      this.set(sources.cacheStats().size)
    },
  })
  fromSnapshot(NAMES.capacityRejected, 'Requests refused with 503 because the capacity queue was full', () => sources.capacityStats().rejected)
  new Gauge({
    name: NAMES.capacityInService,
    help: 'Requests holding a capacity slot now',
    registers,
    collect() {
      this.set(sources.capacityStats().inService)
    },
  })
  new Gauge({
    name: NAMES.capacityQueued,
    help: 'Requests waiting for a capacity slot now',
    registers,
    collect() {
      this.set(sources.capacityStats().queued)
    },
  })
  new Gauge({ name: NAMES.keysMovedIfShardAdded, help: 'Share of customer keys that would change shard if one shard were added', registers }).set(
    sources.keysMovedIfShardAddedRatio,
  )

  // Label children are looked up once per distinct label set, not per request: this is on the hot path.
  const requestChildren = new Map<string, Counter.Internal>()
  const durationChildren = new Map<string, Histogram.Internal<'route'>>()
  const shardChildren: { count: Counter.Internal; duration: Histogram.Internal<'shard'> }[] = []

  return {
    registry,
    observeHttp(route, method, status, seconds) {
      const key = `${route}\u0000${method}\u0000${status}`
      let counter = requestChildren.get(key)
      if (counter === undefined) requestChildren.set(key, (counter = httpRequests.labels(route, method, String(status))))
      counter.inc()
      let histogram = durationChildren.get(route)
      if (histogram === undefined) durationChildren.set(route, (histogram = httpDuration.labels(route)))
      histogram.observe(seconds)
    },
    onShardCall(shard, seconds) {
      let children = shardChildren[shard]
      if (children === undefined) {
        const label = String(shard)
        shardChildren[shard] = children = { count: shardRequests.labels(label), duration: shardDuration.labels(label) }
      }
      children.count.inc()
      children.duration.observe(seconds)
    },
  }
}
