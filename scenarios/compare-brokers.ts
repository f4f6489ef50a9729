import { defineScenario } from '../harness/src/scenario/define-scenario.js'

// Which broker should carry the CRM's changes under sync strategy queue-push? The same
// write-heavy load as compare-sync, with the shards' outboxes publishing to RabbitMQ (durable
// queue, publisher confirms) or to Apache Kafka (one KRaft node, idempotent producer, acks=all;
// downstream a consumer group committing after it applied), and the downstream system killed 10 s
// into the measured phase and restarted at 15 s: the changes wait in the broker meanwhile.
// The report's sync section compares sync lag, backlog, drain and recovery time per broker;
// sync_missing must be 0 for both (nothing acknowledged may be lost to downstream).
// To see a broker outage instead, copy this file with one broker in the matrix and faults on
// that member (`rabbitmq` or `kafka`): a fault's member must exist in every cell.
export default defineScenario({
  name: 'compare-brokers',
  kind: 'comparison',
  description: 'queue-push through RabbitMQ vs Apache Kafka: sync lag, backlog and drain, downstream killed at 10 s and restarted at 15 s',
  topology: {
    replicas: 2,
    shards: 2,
    partition: 'hash',
    sync: { strategy: 'queue-push', batch: 500, drainTimeoutS: 60 },
  },
  matrix: { 'sync.broker': ['rabbitmq', 'kafka'] },
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
  thresholds: { sync_missing: ['count==0'] },
  quick: { load: { model: 'open', rate: 50, durationS: 10 }, datasetSize: 500 },
})
