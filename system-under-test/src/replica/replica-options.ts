import type { CapacityOptions } from '../capacity/capacity-model.js'
import type { CacheStrategyName, WritePolicy } from '../strategies/cache/cache.js'
import type { PartitionStrategyName } from '../strategies/partition/partition-strategy.js'
import { SHARD_STORES, type ShardStoreKind } from '../contract/strategy-names.js'

// Everything a replica needs to start, already validated (the CLI validates flags into this; tests
// build it directly).

// The names are part of the contract with the harness.
export { SHARD_STORES, type ShardStoreKind }

export interface ReplicaOptions {
  /** Interface to bind; 127.0.0.1 unless the user says otherwise. */
  host: string
  /** 0 = ask the OS for a free port. */
  port: number
  /** Sent as X-Replica; default `replica-<port>` once the port is known. */
  name?: string
  /** One URL per shard, in shard-index order: http://... (embedded) or postgres://... (postgres). */
  shards: string[]
  store: ShardStoreKind
  partition: PartitionStrategyName
  virtualNodes: number
  /** range partitions: the time window split by the first N-1 shards (ms since epoch). */
  rangeStartMs: number
  rangeEndMs: number
  cache: CacheStrategyName
  cacheSize: number
  cacheTtlMs: number
  writePolicy: WritePolicy
  redisUrl?: string
  /** host:port of the memcached server (--cache memcached). */
  memcachedServer?: string
  capacity: CapacityOptions
  /** Sync strategy `sync-call`: downstream's URL; every customer change is sent there before it is acknowledged. */
  syncCallUrl?: string
  /** How long a sync call may take before the write fails with 503 downstream_unavailable. */
  syncCallTimeoutMs?: number
  /** The token /admin requires (the CLI takes it from LOADLAB_ADMIN_TOKEN); a random one when omitted, read it from StartedReplica. */
  adminToken?: string
}
