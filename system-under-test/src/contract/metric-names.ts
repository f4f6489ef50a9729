// The Prometheus metrics each role serves on GET /metrics. The service registers them under
// these names and the harness's scraper reads them by these names: a rename here is a rename on
// both sides. Labels are part of the contract too.

/** A replica (its own registry, plus Node's default process metrics). */
export const REPLICA_METRICS = {
  /** Counter {route, method, status}: responses by route pattern (`/customers/:id`, never raw ids). */
  httpRequests: 'crm_http_requests_total',
  /** Histogram {route}. */
  httpRequestDuration: 'crm_http_request_duration_seconds',
  /** Counter: cache hits (customer and 360 reads). */
  cacheHits: 'crm_cache_hits_total',
  cacheMisses: 'crm_cache_misses_total',
  cacheEvictions: 'crm_cache_evictions_total',
  /** Gauge: entries in the cache now (-1 when unknown). */
  cacheSize: 'crm_cache_size',
  /** Counter {shard}: calls this replica made to each shard. */
  shardRequests: 'crm_shard_requests_total',
  /** Histogram {shard}. */
  shardRequestDuration: 'crm_shard_request_duration_seconds',
  /** Gauge: share of keys that would change shard if one shard were added. */
  keysMovedIfShardAdded: 'crm_partition_keys_moved_if_shard_added_ratio',
  capacityRejected: 'crm_capacity_rejected_total',
  capacityInService: 'crm_capacity_in_service',
  capacityQueued: 'crm_capacity_queued',
} as const

/** A shard server. */
export const SHARD_METRICS = {
  /** Counter {op}: RPC requests received, by store operation. */
  requests: 'shard_requests_total',
  /** Histogram {op}. */
  requestDuration: 'shard_request_duration_seconds',
  capacityRejected: 'shard_capacity_rejected_total',
  /** Gauge: customers stored on this shard. */
  customers: 'shard_customers',
  capacityInService: 'shard_capacity_in_service',
  capacityQueued: 'shard_capacity_queued',
} as const

/** The balancer, whichever engine runs it (the built-in one, HAProxy, nginx): the same names and labels. */
export const BALANCER_METRICS = {
  /** Counter {backend}: requests sent to each backend (retries included). */
  requests: 'lb_requests_total',
  /** Counter {backend, kind}. */
  errors: 'lb_errors_total',
  /** Counter {backend}. */
  ejections: 'lb_ejections_total',
  retries: 'lb_retries_total',
  /** Counter: answered 503 because no backend was eligible (built-in engine). */
  noBackend: 'lb_no_backend_total',
  /** Gauge {backend}. */
  inFlight: 'lb_in_flight',
  /** Gauge {backend}: 1 when the backend may take new requests. */
  backendUp: 'lb_backend_up',
} as const

/** The label that names a shard on `crm_shard_requests_total`, and a backend on `lb_requests_total`. */
export const METRIC_LABELS = { shard: 'shard', backend: 'backend', route: 'route' } as const
