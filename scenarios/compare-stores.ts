import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// The embedded in-memory shard store against real PostgreSQL (LoadLab starts its own cluster, one
// schema per shard), each with hash and range partitions. Under range partitioning the
// PostgreSQL shards are native partitions of one table (PARTITION BY RANGE on the customer id), so
// the recent customers a `latest` workload reads all sit in the last partition. No emulated service time
// on the shards: the embedded store answers at memory speed, PostgreSQL at its own.
export default defineScenario({
  name: 'compare-stores',
  kind: 'comparison',
  description: 'embedded vs PostgreSQL shard stores, hash vs range partitions, 3 shards, under a `latest` (recency) workload',
  topology: {
    replicas: 1,
    shards: 3,
    cache: { strategy: 'none' },
  },
  matrix: { store: ['embedded', 'postgres'], partition: ['hash', 'range'] },
  workload: {
    mix: { get_customer: 60, customer_360: 15, search_customers: 5, update_customer: 10, create_customer: 5, add_activity: 5 },
    keys: { kind: 'latest', s: 1.1 },
    datasetSize: 5_000,
    seed: 17,
  },
  load: { model: 'closed', connections: 16, durationS: 12 },
  warmup: { durationS: 2 },
  repetitions: 2,
  thresholds: { http_req_failed: ['rate<0.01'], lost_writes: ['count==0'] },
})
