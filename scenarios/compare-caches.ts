import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// Every cache strategy under a hotspot workload (20% of the customers get 80% of the reads),
// including redis and memcached, each shared by both replicas (LoadLab starts a redis-server and a
// memcached for them, on 127.0.0.1). Writes use
// cache-aside invalidation; stale_reads counts any read older than an acknowledged write.
export default defineScenario({
  name: 'compare-caches',
  kind: 'comparison',
  description: 'none vs lru vs lfu vs ttl vs redis vs memcached under a hotspot workload, 2 replicas, 2 shards with a service time',
  topology: {
    replicas: 2,
    shards: 2,
    partition: 'hash',
    // By customer id: each customer's reads and writes meet the same in-process cache, so the
    // in-process strategies are compared with the shared ones on hit rate, not on staleness.
    balancer: { strategy: 'consistent-hash' },
    cache: { size: 1_000, ttlMs: 5_000, writePolicy: 'invalidate' },
    emulation: { shard: { serviceTime: 'constant:3', slots: 2, queueLimit: 512 } },
  },
  matrix: { 'cache.strategy': ['none', 'lru', 'lfu', 'ttl', 'redis', 'memcached'] },
  workload: {
    mix: { get_customer: 75, customer_360: 10, update_customer: 10, add_activity: 5 },
    keys: { kind: 'hotspot', hotKeyShare: 0.2, hotTrafficShare: 0.8 },
    datasetSize: 10_000,
    seed: 5,
  },
  load: { model: 'closed', connections: 24, durationS: 12 },
  warmup: { durationS: 3 },
  repetitions: 2,
  thresholds: { http_req_failed: ['rate<0.01'], lost_writes: ['count==0'] },
})
