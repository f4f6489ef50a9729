// The strategy names a user types (scenario files, the role flags) and what each one is. The
// service's registries build one strategy per name (a name without a factory does not compile);
// the harness validates scenarios, checks this machine (`loadlab doctor`) and explains strategies
// in its report from these lists, so a strategy added here and in its registry needs nothing else.

/** A program that must be on PATH for a choice to work: `loadlab doctor` looks for it. */
export interface RequiredProgram {
  /** The executable's name: `haproxy`. */
  program: string
  /** Arguments that make it print its version (`-v`); absent when it has none that returns at once (rabbitmq-server). */
  versionArgs?: readonly string[]
}

export interface ChoiceInfo {
  /** What it does, in a few words, for reports, `doctor` and `--help`. */
  about: string
  /** A program the choice needs on this machine, if any. */
  requires?: RequiredProgram
}

export const BALANCER_STRATEGIES = ['round-robin', 'weighted-round-robin', 'least-connections', 'random', 'p2c', 'consistent-hash'] as const
export type BalancerStrategyName = (typeof BALANCER_STRATEGIES)[number]

export const BALANCER_ENGINES = ['builtin', 'haproxy', 'nginx'] as const
export type BalancerEngineName = (typeof BALANCER_ENGINES)[number]

export const PARTITION_STRATEGIES = ['single', 'hash', 'consistent-hash', 'range'] as const
export type PartitionStrategyName = (typeof PARTITION_STRATEGIES)[number]

export const CACHE_STRATEGIES = ['none', 'lru', 'lfu', 'ttl', 'redis', 'memcached'] as const
export type CacheStrategyName = (typeof CACHE_STRATEGIES)[number]

export const WRITE_POLICIES = ['invalidate', 'write-through'] as const
export type WritePolicy = (typeof WRITE_POLICIES)[number]

export const SHARD_STORES = ['embedded', 'postgres'] as const
export type ShardStoreKind = (typeof SHARD_STORES)[number]

export const DURABILITY_LEVELS = ['none', 'everysec', 'always'] as const
export type Durability = (typeof DURABILITY_LEVELS)[number]

/** How the downstream system learns of customer changes (the service's README, Sync strategies). */
export const SYNC_STRATEGIES = ['none', 'sync-call', 'queue-push', 'scheduled-pull'] as const
export type SyncStrategyName = (typeof SYNC_STRATEGIES)[number]

/** The brokers of queue-push, each named by its URL scheme in `shard --publish-to` and `downstream --consume`. */
export const SYNC_BROKERS = ['rabbitmq', 'kafka'] as const
export type SyncBrokerName = (typeof SYNC_BROKERS)[number]

const REDIS_SERVER: RequiredProgram = { program: 'redis-server', versionArgs: ['--version'] }
const RABBITMQ_SERVER: RequiredProgram = { program: 'rabbitmq-server' }

export const BALANCER_STRATEGY_INFO: Record<BalancerStrategyName, ChoiceInfo> = {
  'round-robin': { about: 'each backend in turn' },
  'weighted-round-robin': { about: 'each backend in turn, as often as its weight says' },
  'least-connections': { about: 'the backend with the fewest requests in flight' },
  random: { about: 'a backend at random' },
  p2c: { about: 'power of two choices: the less busy of two backends picked at random' },
  'consistent-hash': { about: 'a hash ring by customer id: each customer stays on one backend' },
}

export const BALANCER_ENGINE_INFO: Record<BalancerEngineName, ChoiceInfo> = {
  builtin: { about: 'the service’s own Node.js balancer' },
  haproxy: { about: 'HAProxy with a generated configuration', requires: { program: 'haproxy', versionArgs: ['-v'] } },
  nginx: { about: 'nginx with a generated configuration', requires: { program: 'nginx', versionArgs: ['-v'] } },
}

export const PARTITION_STRATEGY_INFO: Record<PartitionStrategyName, ChoiceInfo> = {
  single: { about: 'every customer on shard 0' },
  hash: { about: 'a hash of the customer id modulo the shard count: adding a shard moves most keys' },
  'consistent-hash': { about: 'a hash ring with virtual nodes: adding a shard moves about 1/(N+1) of the keys' },
  range: { about: 'ranges of customer creation time: new customers all land on the last shard' },
}

export const CACHE_STRATEGY_INFO: Record<CacheStrategyName, ChoiceInfo> = {
  none: { about: 'no cache: every read goes to a shard' },
  lru: { about: 'least recently used entries evicted first, one cache per replica' },
  lfu: { about: 'least frequently used entries evicted first, one cache per replica' },
  ttl: { about: 'entries expire after a fixed time, one cache per replica' },
  redis: { about: 'one Redis cache shared by every replica', requires: REDIS_SERVER },
  memcached: { about: 'one memcached shared by every replica, write fences through CAS', requires: { program: 'memcached', versionArgs: ['--version'] } },
}

export const WRITE_POLICY_INFO: Record<WritePolicy, ChoiceInfo> = {
  invalidate: { about: 'a write deletes the cached entry (cache-aside)' },
  'write-through': { about: 'a write stores the new version in the cache' },
}

export const SHARD_STORE_INFO: Record<ShardStoreKind, ChoiceInfo> = {
  embedded: { about: 'in-memory shard servers' },
  postgres: { about: 'one PostgreSQL database per shard', requires: { program: 'postgres', versionArgs: ['--version'] } },
}

export const DURABILITY_INFO: Record<Durability, ChoiceInfo> = {
  none: { about: 'the embedded shard keeps its data in memory only' },
  everysec: { about: 'every change appended to a log before the answer, fsync once a second' },
  always: { about: 'every change appended to a log and fsync’d before the answer' },
}

export const SYNC_STRATEGY_INFO: Record<SyncStrategyName, ChoiceInfo> = {
  none: { about: 'no downstream system' },
  'sync-call': { about: 'each write calls downstream before it is acknowledged: never behind, fails when downstream is down' },
  'queue-push': { about: 'each shard publishes its outbox of changes to a broker, downstream consumes it: at least once', requires: RABBITMQ_SERVER },
  'scheduled-pull': { about: 'downstream asks the replicas for the changes since its last pull, every interval' },
}

export const SYNC_BROKER_INFO: Record<SyncBrokerName, ChoiceInfo> = {
  rabbitmq: { about: 'RabbitMQ (amqp://), a durable queue', requires: RABBITMQ_SERVER },
  // Its jars (Maven Central) and Java are checked by the harness's doctor, not as one program.
  kafka: { about: 'Apache Kafka (kafka://), one KRaft node: a topic, an idempotent producer, a consumer group' },
}

/** One configurable choice of a topology: its scenario field, its role flag, its names. */
export interface ChoiceKind {
  /** Field path in a scenario's topology (and a matrix key): `cache.strategy`. */
  field: string
  /** Words for messages: `cache strategy`. */
  label: string
  /**
   * The role flag that carries it: `--cache`. Null when the choice is not one flag but decides
   * which members a launcher starts and how it wires them (a sync strategy: a downstream member,
   * a broker, `--sync-call`, `--publish-to`, `--consume`, `--pull-from`).
   */
  flag: string | null
  names: readonly string[]
  info: Readonly<Record<string, ChoiceInfo>>
}

/** Every choice, in the order `loadlab doctor` lists what each needs. */
export const CHOICE_KINDS: readonly ChoiceKind[] = [
  { field: 'cache.strategy', label: 'cache strategy', flag: '--cache', names: CACHE_STRATEGIES, info: CACHE_STRATEGY_INFO },
  { field: 'cache.writePolicy', label: 'write policy', flag: '--write-policy', names: WRITE_POLICIES, info: WRITE_POLICY_INFO },
  { field: 'balancer.strategy', label: 'balancer strategy', flag: '--strategy', names: BALANCER_STRATEGIES, info: BALANCER_STRATEGY_INFO },
  { field: 'balancer.implementation', label: 'balancer implementation', flag: '--engine', names: BALANCER_ENGINES, info: BALANCER_ENGINE_INFO },
  { field: 'partition', label: 'partition', flag: '--partition', names: PARTITION_STRATEGIES, info: PARTITION_STRATEGY_INFO },
  { field: 'store', label: 'store', flag: '--store', names: SHARD_STORES, info: SHARD_STORE_INFO },
  { field: 'durability', label: 'durability', flag: '--durability', names: DURABILITY_LEVELS, info: DURABILITY_INFO },
  { field: 'sync.strategy', label: 'sync strategy', flag: null, names: SYNC_STRATEGIES, info: SYNC_STRATEGY_INFO },
  { field: 'sync.broker', label: 'sync broker', flag: null, names: SYNC_BROKERS, info: SYNC_BROKER_INFO },
]
