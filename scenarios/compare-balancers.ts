import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// Which balancer copes with one slow replica? replica-2 is made five times slower as the
// measured phase starts: round-robin keeps sending it a third of the traffic, least-connections
// and power-of-two-choices should route around it.
export default defineScenario({
  name: 'compare-balancers',
  kind: 'comparison',
  description: 'round-robin vs least-connections vs p2c with one replica five times slower than the others',
  topology: {
    replicas: 3,
    shards: 1,
    partition: 'single',
    emulation: { replica: { serviceTime: 'constant:4', slots: 4, queueLimit: 512 } },
  },
  matrix: { 'balancer.strategy': ['round-robin', 'least-connections', 'p2c'] },
  workload: {
    mix: { get_customer: 85, search_customers: 5, update_customer: 10 },
    keys: { kind: 'uniform' },
    datasetSize: 3_000,
    seed: 7,
  },
  load: { model: 'closed', connections: 32, durationS: 15 },
  warmup: { durationS: 3 },
  repetitions: 2,
  faults: [{ atS: 0, action: 'slow', member: 'replica-2', factor: 5 }],
  thresholds: { http_req_failed: ['rate<0.01'] },
  slo: { latency: { stat: 'p95', belowMs: 100 }, maxErrorRate: 0.01 },
})
