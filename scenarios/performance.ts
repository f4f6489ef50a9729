import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// A CI gate: a fixed, realistic load against the default topology with thresholds on latency per
// operation, errors and availability. Run it with `--baseline` to fail on a significant regression.
export default defineScenario({
  name: 'performance',
  kind: 'performance',
  description: 'Fixed 300 req/s realistic mix against 2 replicas with LRU caches; thresholds per operation',
  topology: {
    replicas: 2,
    shards: 2,
    partition: 'hash',
    balancer: { strategy: 'consistent-hash' },
    cache: { strategy: 'lru', size: 2_000 },
  },
  workload: {
    mix: { get_customer: 50, search_customers: 15, customer_360: 15, create_customer: 5, update_customer: 10, add_activity: 5 },
    keys: { kind: 'zipf', s: 0.9 },
    datasetSize: 5_000,
    seed: 1,
  },
  load: { model: 'open', rate: 300, durationS: 20, maxInFlight: 256 },
  warmup: { durationS: 3 },
  repetitions: 2,
  thresholds: {
    'http_req_duration{op:get_customer}': ['p(95)<50'],
    http_req_duration: ['p(99)<200'],
    http_req_failed: ['rate<0.01'],
    availability: ['rate>0.999'],
    lost_writes: ['count==0'],
  },
})
