// The replica's Prometheus metric names as the contract lists them (coord/COMMON.md): the harness
// scrapes exactly these, so the in-process and the process-level tests check the same list.

export const REPLICA_METRIC_NAMES = [
  'crm_http_requests_total',
  'crm_http_request_duration_seconds',
  'crm_cache_hits_total',
  'crm_cache_misses_total',
  'crm_cache_evictions_total',
  'crm_cache_size',
  'crm_shard_requests_total',
  'crm_shard_request_duration_seconds',
  'crm_partition_keys_moved_if_shard_added_ratio',
  'crm_capacity_rejected_total',
  'crm_capacity_in_service',
  'crm_capacity_queued',
] as const
