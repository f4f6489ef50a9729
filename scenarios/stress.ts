import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// Where is the knee? The arrival rate steps up by 100 req/s until the SLO (p95 < 100 ms, errors
// < 1%) breaks; the runner stops one step past the knee. Two replicas of ~400 req/s each (5 ms,
// 2 slots) put the knee near 800 req/s.
export default defineScenario({
  name: 'stress',
  kind: 'stress',
  description: 'Open-model arrival rate stepped from 100 req/s by 100 until past the knee (SLO p95 < 100 ms, errors < 1%)',
  topology: {
    replicas: 2,
    shards: 1,
    partition: 'single',
    balancer: { strategy: 'least-connections' },
    emulation: { replica: { serviceTime: 'constant:5', slots: 2, queueLimit: 128 } },
  },
  workload: {
    mix: { get_customer: 90, update_customer: 10 },
    keys: { kind: 'uniform' },
    datasetSize: 2_000,
    seed: 9,
  },
  load: { model: 'open', rate: 100, durationS: 8, maxInFlight: 512 },
  stress: { startRate: 100, step: 100, maxRate: 1_500, stepDurationS: 8 },
  slo: { latency: { stat: 'p95', belowMs: 100 }, maxErrorRate: 0.01 },
  quick: { stress: { startRate: 100, step: 200, maxRate: 900, stepDurationS: 3 } },
})
