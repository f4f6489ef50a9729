import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// How should the CRM tell another system (an order or ERP service with its own store) about
// customer changes? Each sync strategy under the same write-heavy load, with that downstream
// system killed 10 s into the measured phase and restarted at 15 s:
//   none            no downstream: the baseline write latency (the faults do not apply here, and
//                   its results say so);
//   sync-call       each write waits for downstream: fresh, but writes fail while it is down;
//   queue-push      shards publish their outbox to RabbitMQ: writes unaffected, the backlog grows
//                   during the outage and drains after it;
//   scheduled-pull  downstream pulls changes every second: lag of about the interval, catches up
//                   after the restart from its stored watermark.
// The report's sync section charts sync lag and backlog over time and write p95 per strategy;
// sync_missing must be 0 for every strategy (nothing acknowledged may be lost to downstream).
export default defineScenario({
  name: 'compare-sync',
  kind: 'comparison',
  description:
    'none vs sync-call vs queue-push (RabbitMQ) vs scheduled-pull: write latency, sync lag and backlog, downstream killed at 10 s and restarted at 15 s',
  topology: {
    replicas: 2,
    shards: 2,
    partition: 'hash',
    sync: { broker: 'rabbitmq', intervalMs: 1_000, batch: 500, drainTimeoutS: 60 },
  },
  matrix: { 'sync.strategy': ['none', 'sync-call', 'queue-push', 'scheduled-pull'] },
  workload: {
    mix: { get_customer: 55, update_customer: 35, create_customer: 10 },
    keys: { kind: 'uniform' },
    datasetSize: 5_000,
    seed: 17,
  },
  load: { model: 'open', rate: 200, durationS: 30, maxInFlight: 256 },
  warmup: { durationS: 3 },
  faults: [
    { atS: 10, action: 'kill', member: 'downstream' },
    { atS: 15, action: 'restart', member: 'downstream' },
  ],
  thresholds: {
    'sync_missing{sync:sync-call}': ['count==0'],
    'sync_missing{sync:queue-push}': ['count==0'],
    'sync_missing{sync:scheduled-pull}': ['count==0'],
  },
  quick: { load: { model: 'open', rate: 50, durationS: 10 }, datasetSize: 500 },
})
