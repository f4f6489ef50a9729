// The names a scenario file uses for its choices: kinds, strategies, fault actions, environments.
// The schema (scenario-schema.ts) checks against these lists; scenario.ts re-exports them beside
// the types.

export const SCENARIO_KINDS = ['performance', 'stress', 'scale-out', 'soak', 'spike', 'failover', 'comparison'] as const
export type ScenarioKind = (typeof SCENARIO_KINDS)[number]

// The strategy names users type come from the CRM service's contract: a strategy added to the
// service is a valid scenario value at once.
export {
  /** What runs the balancer (`topology.balancer.implementation`); the SUT's `balancer --engine`. */
  BALANCER_ENGINES as BALANCER_IMPLEMENTATION_NAMES,
  BALANCER_STRATEGIES as BALANCER_STRATEGY_NAMES,
  CACHE_STRATEGIES as CACHE_STRATEGY_NAMES,
  /** The embedded shards' append-only log (the SUT's `shard --durability`). */
  DURABILITY_LEVELS as DURABILITY_NAMES,
  PARTITION_STRATEGIES as PARTITION_NAMES,
  SHARD_STORES as STORE_NAMES,
  /** How the downstream system learns of customer changes (system-under-test/README.md, Sync strategies). */
  SYNC_STRATEGIES as SYNC_STRATEGY_NAMES,
  SYNC_BROKERS as SYNC_BROKER_NAMES,
  WRITE_POLICIES as WRITE_POLICY_NAMES,
} from '#crm-contract'
import type {
  BalancerEngineName,
  BalancerStrategyName,
  CacheStrategyName,
  Durability,
  PartitionStrategyName,
  ShardStoreKind,
  SyncBrokerName,
  SyncStrategyName,
  WritePolicy,
} from '#crm-contract'
export type { SyncBrokerName, SyncStrategyName }
/** Faults on a member (process or container). `cpus` changes a container's CPU quota. */
export const MEMBER_FAULT_ACTIONS = ['kill', 'pause', 'resume', 'restart', 'slow', 'cpus'] as const
/** Faults on the network links into or out of a member (Toxiproxy; containers environment). */
export const NETWORK_FAULT_ACTIONS = ['latency', 'bandwidth', 'timeout', 'reset', 'partition', 'heal'] as const
export const FAULT_ACTIONS = [...MEMBER_FAULT_ACTIONS, ...NETWORK_FAULT_ACTIONS] as const
/** Where a topology runs: child processes on this machine, or containers (Testcontainers). */
export const ENVIRONMENT_NAMES = ['local', 'containers'] as const
/** Members whose containers take `resources` (Docker CPU quota and memory limit). */
export const RESOURCE_ROLES = ['replica', 'shard', 'balancer', 'redis'] as const

export type BalancerStrategy = BalancerStrategyName
export type BalancerImplementation = BalancerEngineName
export type PartitionName = PartitionStrategyName
export type CacheStrategy = CacheStrategyName
export type WritePolicyName = WritePolicy
export type StoreName = ShardStoreKind
export type FaultAction = (typeof FAULT_ACTIONS)[number]
export type NetworkFaultAction = (typeof NETWORK_FAULT_ACTIONS)[number]
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number]
export type ResourceRole = (typeof RESOURCE_ROLES)[number]

export type DurabilityName = Durability
