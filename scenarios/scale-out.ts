import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// How does throughput grow with replicas, and how many do we need for 250 req/s with 30%
// headroom? Each replica has an emulated capacity (20 ms a request, 2 at a time: ~100 req/s), so
// the curve reflects the architecture, not this machine's two cores. The analysis fits the
// Universal Scalability Law to the points and plans the replica count.
export default defineScenario({
  name: 'scale-out',
  kind: 'scale-out',
  description: 'Maximum throughput with 1, 2, 3 and 4 replicas (each ~100 req/s), USL fit and a capacity plan for 250 req/s',
  topology: {
    shards: 2,
    partition: 'hash',
    balancer: { strategy: 'least-connections' },
    emulation: { replica: { serviceTime: 'constant:20', slots: 2, queueLimit: 1024 } },
  },
  matrix: { replicas: [1, 2, 3, 4] },
  workload: {
    mix: { get_customer: 90, search_customers: 5, update_customer: 5 },
    keys: { kind: 'uniform' },
    datasetSize: 3_000,
    seed: 3,
  },
  load: { model: 'closed', connections: 48, durationS: 12 },
  warmup: { durationS: 2 },
  repetitions: 2,
  capacity: { targetRps: 250, headroom: 0.3 },
})
