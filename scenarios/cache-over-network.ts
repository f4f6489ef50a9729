import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// Is a shared Redis worth a network hop? Each replica's in-process LRU answers from memory; Redis
// is shared by both replicas (one copy, no stale copies) but every lookup crosses the network.
// Toxiproxy makes that hop cost what it would between two hosts: 1 or 2 ms on every answer from
// Redis (latency 2 ms give or take 1, in Toxiproxy's whole milliseconds). The shards have a 5 ms
// service time, so a miss costs a database round trip.
// Round-robin sends a customer to either replica, so the LRU caches hold a copy each: their hit
// rate is lower than Redis' and stale_reads shows what the second copy costs.
export default defineScenario({
  name: 'cache-over-network',
  kind: 'comparison',
  description: 'In-process LRU vs Redis one network hop away (1-2 ms injected by Toxiproxy), 2 replicas, 2 shards with a 5 ms service time',
  environment: 'containers',
  topology: {
    replicas: 2,
    shards: 2,
    partition: 'hash',
    balancer: { strategy: 'round-robin' },
    cache: { size: 2_000, ttlMs: 60_000, writePolicy: 'invalidate' },
    emulation: { shard: { serviceTime: 'constant:5', slots: 4, queueLimit: 512 } },
    links: { 'replicas -> redis': { latencyMs: 2, jitterMs: 1 } },
  },
  matrix: { 'cache.strategy': ['lru', 'redis'] },
  workload: {
    mix: { get_customer: 80, customer_360: 10, update_customer: 10 },
    keys: { kind: 'zipf', s: 1.0 },
    datasetSize: 5_000,
    seed: 21,
  },
  load: { model: 'closed', connections: 32, durationS: 12 },
  warmup: { durationS: 3 },
  repetitions: 2,
  thresholds: { http_req_failed: ['rate<0.01'], lost_writes: ['count==0'] },
  quick: {
    load: { model: 'closed', connections: 16, durationS: 4 },
    warmup: { durationS: 1 },
    datasetSize: 1_000,
    repetitions: 1,
  },
})
