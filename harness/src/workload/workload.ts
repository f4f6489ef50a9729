import type { HttpWorkload } from './http-workload.js'

// What load to send: which operations, against which keys, at what pressure. Built from a
// scenario by the scenario module; read by the engines. Plain data so it can be logged and stored.

/** Operations over the CRM API; names are the `op` tag on metrics (`http_req_duration{op:get_customer}`). */
export const OPERATIONS = [
  'get_customer', // GET /customers/:id
  'search_customers', // GET /customers?q=<prefix>&limit=20
  'customer_360', // GET /customers/:id/360
  'create_customer', // POST /customers
  'update_customer', // PATCH /customers/:id
  'add_activity', // POST /customers/:id/activities
  'list_deals', // GET /customers/:id/deals
] as const
export type OperationName = (typeof OPERATIONS)[number]
export const WRITE_OPERATIONS: readonly OperationName[] = ['create_customer', 'update_customer', 'add_activity']

export type KeyPopularity =
  | { kind: 'uniform' }
  /** Zipf with exponent s over the dataset (rank 1 = most popular); s around 0.8-1.2 is typical. */
  | { kind: 'zipf'; s: number }
  /** `hotTrafficShare` of requests go to the first `hotKeyShare` of keys. */
  | { kind: 'hotspot'; hotKeyShare: number; hotTrafficShare: number }
  /** Newest customers are the most popular (recency-Zipf with exponent s): exposes range partitions. */
  | { kind: 'latest'; s: number }

export interface RampStage {
  durationS: number /** arrival rate (req/s) reached at the end of the stage, linearly */
  target: number
}

export type LoadModel =
  | { model: 'closed'; connections: number; durationS: number; pipelining?: number }
  | {
      model: 'open'
      /** Constant arrival rate (req/s) for durationS, or ramping stages; exactly one is set. */
      rate?: number
      durationS?: number
      stages?: RampStage[]
      /** Requests in flight at most; an arrival beyond it is counted in dropped_iterations. */
      maxInFlight: number
    }

export interface Workload {
  /**
   * The user's own HTTP service instead of the CRM: requests and flows (http-workload.ts). When
   * set, mix, keys and datasetSize are unused (empty mix, datasetSize 0) and nothing is seeded.
   */
  http?: HttpWorkload
  /** Relative weights; operations with weight 0 or absent are not sent. */
  mix: Partial<Record<OperationName, number>>
  keys: KeyPopularity
  /** Customers seeded before the run (and thus the key space). */
  datasetSize: number
  /** Seeds every random choice: the same seed gives the same request sequence. */
  seed: number
  load: LoadModel
  /** A request slower than this is aborted and counted as failed (status 0, error 'timeout'). */
  requestTimeoutMs: number
}
