import type {
  BalancerEngineName,
  BalancerStrategyName,
  CacheStrategyName,
  Durability,
  PartitionStrategyName,
  ShardStoreKind,
  WritePolicy,
} from './strategy-names.js'

// The command lines of the roles, `node system-under-test/dist/main.js <role> [flags]`,
// built from typed options. Whoever starts the service (local processes, containers, Kubernetes
// manifests) builds its arguments here, so the flags are spelled once; a test parses what these
// build with the roles' own flag parsers.

export const ROLES = ['shard', 'replica', 'downstream', 'balancer'] as const
export type RoleName = (typeof ROLES)[number]

/** The emulated service time's forms, as `--service-time` takes them: `off`, `constant:<ms>`, `exp:<ms>`. */
export const SERVICE_TIME_PATTERN = /^(off|(constant|exp):\d+(\.\d+)?)$/

/** The capacity flags of a shard or a replica (--service-time, --slots, --queue-limit). */
export interface CapacityArgs {
  serviceTime: string
  slots: number
  queueLimit: number
}

/** A port, or a value the launcher fills in (a Kubernetes `$(POD_INDEX)`). */
type Value = number | string

export interface ShardArgs {
  host?: string
  port: Value
  shardIndex: Value
  /** The append-only log (`none` or left out: memory only). */
  durability?: { level: Durability; dataFile: string }
  capacity?: CapacityArgs
  /** Sync strategy queue-push: drain the shard's change feed (its outbox) to this broker URL (amqp://...). */
  publishTo?: string | null
  /** Changes per publish. */
  publishBatch?: number
}

export interface ReplicaArgs {
  host?: string
  port: Value
  /** Sent as X-Replica on every answer. */
  name: string
  /** In shard order. */
  shardUrls: readonly string[]
  store: ShardStoreKind
  partition: PartitionStrategyName
  /** The range partition's window: every replica of a topology must get the same one. */
  rangeStart: Date | string
  rangeEnd: Date | string
  cache: { strategy: CacheStrategyName; size: number; ttlMs: number; writePolicy: WritePolicy }
  /** Required by the `redis` cache. */
  redisUrl?: string | null
  /** Required by the `memcached` cache: host:port. */
  memcachedServer?: string | null
  /** Sync strategy sync-call: downstream's URL, called with every change before the write is acknowledged. */
  syncCall?: { url: string; timeoutMs?: number } | null
  capacity?: CapacityArgs
}

/** The downstream system: without `consume` or `pullFrom` it only takes the replicas' sync calls. */
export interface DownstreamArgs {
  host?: string
  port: Value
  /** Its append-only log, replayed on start; left out: memory only. */
  dataFile?: string
  /** Sync strategy queue-push: the broker URL to consume from (amqp://...). */
  consume?: string
  /** Sync strategy scheduled-pull: the replica URLs to pull changes from. */
  pullFrom?: readonly string[]
  /** scheduled-pull: ms between pulls when caught up. */
  intervalMs?: number
  /** Changes per pull and shard, or broker messages in flight. */
  batch?: number
}

export interface BalancerArgs {
  host?: string
  port: Value
  /** The admin port (metrics, health of the balancer itself); 0 or left out = any free port. */
  adminPort?: Value
  strategy: BalancerStrategyName
  engine: BalancerEngineName
  backendUrls: readonly string[]
  weights?: readonly number[]
}

export function shardArgs(o: ShardArgs): string[] {
  const durability = o.durability && o.durability.level !== 'none' ? ['--durability', o.durability.level, '--data-file', o.durability.dataFile] : []
  return [
    'shard',
    ...hostFlag(o.host),
    '--port',
    String(o.port),
    '--shard-index',
    String(o.shardIndex),
    ...durability,
    ...capacityFlags(o.capacity),
    ...(o.publishTo ? ['--publish-to', o.publishTo] : []),
    ...optional('--publish-batch', o.publishBatch),
  ]
}

export function replicaArgs(o: ReplicaArgs): string[] {
  return [
    'replica',
    ...hostFlag(o.host),
    '--port',
    String(o.port),
    '--name',
    o.name,
    '--shards',
    o.shardUrls.join(','),
    '--store',
    o.store,
    '--partition',
    o.partition,
    '--range-start',
    isoDate(o.rangeStart),
    '--range-end',
    isoDate(o.rangeEnd),
    '--cache',
    o.cache.strategy,
    '--cache-size',
    String(o.cache.size),
    '--cache-ttl-ms',
    String(o.cache.ttlMs),
    '--write-policy',
    o.cache.writePolicy,
    ...(o.redisUrl ? ['--redis', o.redisUrl] : []),
    ...(o.memcachedServer ? ['--memcached', o.memcachedServer] : []),
    ...(o.syncCall ? ['--sync-call', o.syncCall.url, ...optional('--sync-call-timeout-ms', o.syncCall.timeoutMs)] : []),
    ...capacityFlags(o.capacity),
  ]
}

export function downstreamArgs(o: DownstreamArgs): string[] {
  return [
    'downstream',
    ...hostFlag(o.host),
    '--port',
    String(o.port),
    ...optional('--data-file', o.dataFile),
    ...optional('--consume', o.consume),
    ...(o.pullFrom ? ['--pull-from', o.pullFrom.join(',')] : []),
    ...optional('--interval-ms', o.intervalMs),
    ...optional('--batch', o.batch),
  ]
}

export function balancerArgs(o: BalancerArgs): string[] {
  return [
    'balancer',
    ...hostFlag(o.host),
    '--port',
    String(o.port),
    ...(o.adminPort === undefined ? [] : ['--admin-port', String(o.adminPort)]),
    '--strategy',
    o.strategy,
    '--engine',
    o.engine,
    '--backends',
    o.backendUrls.join(','),
    ...(o.weights ? ['--weights', o.weights.join(',')] : []),
  ]
}

function optional(flag: string, value: string | number | undefined): string[] {
  return value === undefined ? [] : [flag, String(value)]
}

function hostFlag(host: string | undefined): string[] {
  return host === undefined ? [] : ['--host', host]
}

function capacityFlags(c: CapacityArgs | undefined): string[] {
  if (!c) return []
  return ['--service-time', c.serviceTime, '--slots', String(c.slots), '--queue-limit', String(c.queueLimit)]
}

function isoDate(d: Date | string): string {
  return typeof d === 'string' ? d : d.toISOString()
}
