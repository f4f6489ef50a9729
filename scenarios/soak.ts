import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// Does anything drift over time (latency creeping up, memory, cache churn)? A steady, moderate
// arrival rate for three minutes with writes; watch the per-second series in the report.
export default defineScenario({
  name: 'soak',
  kind: 'soak',
  description: 'Three minutes at 200 req/s with writes: latency and errors must stay flat',
  topology: {
    replicas: 2,
    shards: 2,
    partition: 'consistent-hash',
    // By customer id, so each customer's reads and writes meet the same per-replica cache.
    balancer: { strategy: 'consistent-hash' },
    cache: { strategy: 'lru', size: 2_000, writePolicy: 'write-through' },
  },
  workload: {
    mix: { get_customer: 55, search_customers: 10, customer_360: 10, create_customer: 5, update_customer: 15, add_activity: 5 },
    keys: { kind: 'zipf', s: 1.0 },
    datasetSize: 10_000,
    seed: 21,
  },
  load: { model: 'open', rate: 200, durationS: 180, maxInFlight: 256 },
  warmup: { durationS: 5 },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    http_req_duration: ['p(99)<250'],
    lost_writes: ['count==0'],
    stale_reads: ['count==0'],
  },
})
