import { REPLICA_METRICS } from '../../src/contract/metric-names.js'

// The replica's Prometheus metric names as the contract lists them: the harness scrapes exactly
// these, so the in-process and the process-level tests check the same list.

export const REPLICA_METRIC_NAMES = Object.values(REPLICA_METRICS)
