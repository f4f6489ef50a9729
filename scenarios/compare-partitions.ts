import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// Hash, consistent-hash or range partitions when the newest customers are the busiest? Range
// partitions put all recent customers on the last shard: the hot shard shows in the per-shard
// load share and, with an emulated service time on the shards, in the latency.
export default defineScenario({
  name: 'compare-partitions',
  kind: 'comparison',
  description: 'hash vs consistent-hash vs range partitions over 4 shards under a `latest` (recency) workload',
  topology: {
    replicas: 1,
    shards: 4,
    cache: { strategy: 'none' },
    emulation: { shard: { serviceTime: 'constant:5', slots: 2, queueLimit: 512 } },
  },
  matrix: { partition: ['hash', 'consistent-hash', 'range'] },
  workload: {
    mix: { get_customer: 70, customer_360: 15, update_customer: 10, create_customer: 5 },
    keys: { kind: 'latest', s: 1.1 },
    datasetSize: 5_000,
    seed: 11,
  },
  load: { model: 'closed', connections: 32, durationS: 12 },
  warmup: { durationS: 2 },
  repetitions: 2,
  thresholds: { http_req_failed: ['rate<0.01'], lost_writes: ['count==0'] },
})
