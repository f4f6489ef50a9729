import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export function createReplicaMetrics(sources) {
    const registry = new Registry();
    const registers = [registry];
    collectDefaultMetrics({ register: registry });
    const httpRequests = new Counter({ name: 'crm_http_requests_total', help: 'HTTP requests answered, by route pattern, method and status', labelNames: ['route', 'method', 'status'], registers });
    const httpDuration = new Histogram({ name: 'crm_http_request_duration_seconds', help: 'HTTP request duration by route pattern', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers });
    const shardRequests = new Counter({ name: 'crm_shard_requests_total', help: 'Calls this replica made to each shard', labelNames: ['shard'], registers });
    const shardDuration = new Histogram({ name: 'crm_shard_request_duration_seconds', help: 'Duration of calls to each shard', labelNames: ['shard'], buckets: LATENCY_BUCKETS, registers });
    // Counters fed from a snapshot: reset then inc keeps them monotonic as long as the source is.
    const fromSnapshot = (name, help, read) => new Counter({ name, help, registers, collect() { this.reset(); this.inc(Math.max(0, read())); } });
    fromSnapshot('crm_cache_hits_total', 'Cache hits (customer and 360 reads)', () => sources.cacheStats().hits);
    fromSnapshot('crm_cache_misses_total', 'Cache misses', () => sources.cacheStats().misses);
    fromSnapshot('crm_cache_evictions_total', 'Entries the cache evicted to stay within its size', () => sources.cacheStats().evictions);
    new Gauge({ name: 'crm_cache_size', help: 'Entries in the cache now (-1 when unknown)', registers, collect() { this.set(sources.cacheStats().size); } });
    fromSnapshot('crm_capacity_rejected_total', 'Requests refused with 503 because the capacity queue was full', () => sources.capacityStats().rejected);
    new Gauge({ name: 'crm_capacity_in_service', help: 'Requests holding a capacity slot now', registers, collect() { this.set(sources.capacityStats().inService); } });
    new Gauge({ name: 'crm_capacity_queued', help: 'Requests waiting for a capacity slot now', registers, collect() { this.set(sources.capacityStats().queued); } });
    new Gauge({ name: 'crm_partition_keys_moved_if_shard_added_ratio', help: 'Share of customer keys that would change shard if one shard were added', registers }).set(sources.keysMovedIfShardAddedRatio);
    // Label children are looked up once per distinct label set, not per request: this is on the hot path.
    const requestChildren = new Map();
    const durationChildren = new Map();
    const shardChildren = [];
    return {
        registry,
        observeHttp(route, method, status, seconds) {
            const key = `${route}\u0000${method}\u0000${status}`;
            let counter = requestChildren.get(key);
            if (counter === undefined)
                requestChildren.set(key, (counter = httpRequests.labels(route, method, String(status))));
            counter.inc();
            let histogram = durationChildren.get(route);
            if (histogram === undefined)
                durationChildren.set(route, (histogram = httpDuration.labels(route)));
            histogram.observe(seconds);
        },
        onShardCall(shard, seconds) {
            let children = shardChildren[shard];
            if (children === undefined) {
                const label = String(shard);
                shardChildren[shard] = children = { count: shardRequests.labels(label), duration: shardDuration.labels(label) };
            }
            children.count.inc();
            children.duration.observe(seconds);
        },
    };
}
//# sourceMappingURL=replica-metrics.js.map