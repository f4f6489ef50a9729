import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// What do users see when a replica dies? replica-2 is killed 10 s into the measured phase and
// restarted 10 s later (on the same port, so the balancer takes it back after its health checks).
// The time series shows the error burst and the recovery; lost_writes must stay 0.
export default defineScenario({
  name: 'failover',
  kind: 'failover',
  description: 'Kill replica-2 of 3 at 10 s, restart it at 20 s: error burst, recovery time, no lost writes',
  topology: {
    replicas: 3,
    shards: 2,
    partition: 'hash',
    balancer: { strategy: 'round-robin' },
    // No cache: with per-replica caches behind round-robin, reads after a write may come from
    // another replica's stale copy, which would blur what this scenario is about.
  },
  workload: {
    mix: { get_customer: 60, customer_360: 10, create_customer: 10, update_customer: 15, add_activity: 5 },
    keys: { kind: 'zipf', s: 0.9 },
    datasetSize: 3_000,
    seed: 13,
  },
  load: { model: 'open', rate: 300, durationS: 30, maxInFlight: 256 },
  warmup: { durationS: 3 },
  faults: [
    { atS: 10, action: 'kill', member: 'replica-2' },
    { atS: 20, action: 'restart', member: 'replica-2' },
  ],
  thresholds: { lost_writes: ['count==0'], availability: ['rate>0.95'] },
})
