import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// The README demo: does a cache help under a skewed (Zipf) workload, and is LFU better than LRU?
// The shards have an emulated capacity (20 ms per request, 2 at a time), so every cache miss
// costs what a real database round trip would and the cache's effect shows on a laptop.
export default defineScenario({
  name: 'quickstart',
  kind: 'comparison',
  description:
    'Cache none vs LRU vs LFU under a Zipf workload: 2 replicas behind the builtin balancer (consistent-hash by customer), 2 hash-partitioned shards with a 20 ms service time',
  topology: {
    replicas: 2,
    shards: 2,
    // consistent-hash by customer id: each customer's reads and writes go to the same replica, so
    // per-replica caches stay coherent (round-robin would show stale reads from the other cache).
    balancer: { strategy: 'consistent-hash', implementation: 'builtin' },
    partition: 'hash',
    cache: { size: 300, writePolicy: 'invalidate' },
    emulation: { shard: { serviceTime: 'constant:20', slots: 2, queueLimit: 256 } },
  },
  matrix: { 'cache.strategy': ['none', 'lru', 'lfu'] },
  workload: {
    mix: { get_customer: 85, customer_360: 5, search_customers: 4, update_customer: 6 },
    keys: { kind: 'zipf', s: 1.0 },
    datasetSize: 5_000,
    seed: 42,
  },
  // Fixed connections: throughput is the outcome the verdict leads with. Two repetitions a cell,
  // interleaved; the interval uses each run's 2-second batches as well as the spread between
  // the runs, which gives the cache's ~2x throughput effect an interval within two minutes.
  load: { model: 'closed', connections: 24, durationS: 8 },
  // At least 2 s, longer while the replicas are still warming (JIT, caches), at most 6 s.
  warmup: { durationS: 2, maxS: 6 },
  repetitions: 2,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    lost_writes: ['count==0'],
  },
  slo: { latency: { stat: 'p95', belowMs: 200 }, maxErrorRate: 0.01 },
  quick: {
    load: { model: 'closed', connections: 16, durationS: 3 },
    warmup: { durationS: 1 },
    datasetSize: 2_000,
    repetitions: 1,
  },
})
