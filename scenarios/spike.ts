import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// A sudden burst: 100 req/s, a jump to 900 req/s within two seconds, hold, then back. The open
// model keeps sending on schedule during the overload, so the queueing shows in the latency
// (coordinated-omission corrected) and in dropped iterations, not hidden by a waiting client.
export default defineScenario({
  name: 'spike',
  kind: 'spike',
  description: '100 -> 900 req/s in 2 s, hold 10 s, back to 100: queueing, shed load and recovery',
  topology: {
    replicas: 2,
    shards: 1,
    partition: 'single',
    balancer: { strategy: 'least-connections' },
    emulation: { replica: { serviceTime: 'constant:4', slots: 2, queueLimit: 64 } },
  },
  workload: {
    mix: { get_customer: 85, search_customers: 5, update_customer: 10 },
    keys: { kind: 'zipf', s: 1.0 },
    datasetSize: 3_000,
    seed: 17,
  },
  load: {
    model: 'open',
    stages: [
      { durationS: 10, target: 100 },
      { durationS: 2, target: 900 },
      { durationS: 10, target: 900 },
      { durationS: 2, target: 100 },
      { durationS: 10, target: 100 },
    ],
    maxInFlight: 512,
  },
  warmup: { durationS: 2 },
  slo: { latency: { stat: 'p95', belowMs: 250 }, maxErrorRate: 0.05 },
})
