import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// Scale-out under real limits: each replica is a container with half a CPU (a Docker CPU quota),
// so no service time is emulated; what a replica serves is what half a core of this machine
// gives. HAProxy balances (its cost per request is small next to a replica's, so the replicas'
// quota is what the curve measures). On a small machine the curve bends once the replicas, the
// shards, HAProxy and the load generator together want more cores than there are: the USL fit
// captures that contention, and the capacity plan says how many replicas 1,500 req/s needs.
export default defineScenario({
  name: 'scale-out-containers',
  kind: 'scale-out',
  description: 'Throughput with 1-4 replicas at 0.5 CPU each (Docker CPU quota), HAProxy in front, 2 shards; USL fit and replicas for 1,500 req/s',
  environment: 'containers',
  topology: {
    shards: 2,
    partition: 'hash',
    balancer: { strategy: 'least-connections', implementation: 'haproxy' },
    cache: { strategy: 'lru', size: 5_000 },
    resources: { replica: { cpus: 0.5, memoryMb: 256 } },
  },
  matrix: { replicas: [1, 2, 3, 4] },
  workload: {
    mix: { get_customer: 85, search_customers: 5, update_customer: 10 },
    keys: { kind: 'zipf', s: 0.9 },
    datasetSize: 5_000,
    seed: 11,
  },
  load: { model: 'closed', connections: 64, durationS: 15 },
  warmup: { durationS: 3 },
  repetitions: 2,
  capacity: { targetRps: 1_500, headroom: 0.3 },
  thresholds: { http_req_failed: ['rate<0.01'] },
  quick: {
    load: { model: 'closed', connections: 32, durationS: 4 },
    warmup: { durationS: 1 },
    datasetSize: 1_000,
    repetitions: 1,
    matrix: { replicas: [1, 2, 3] },
  },
})
