import type { KeyPopularity, LoadModel, OperationName, RampStage } from '../workload/workload.js'
import type { Slo } from '../results/results-schema.js'
import type { MatrixPath } from './matrix-paths.js'
import type { DataOrder, HttpWorkload } from '../workload/http-workload.js'

// What a scenario file (scenarios/*.ts) declares: plain typed data. The zod schema in
// scenario-schema.ts checks the same shape at run time and fills in the defaults; these types
// are what an editor shows while the user writes `defineScenario({...})`.

export const SCENARIO_KINDS = ['performance', 'stress', 'scale-out', 'soak', 'spike', 'failover', 'comparison'] as const
export type ScenarioKind = (typeof SCENARIO_KINDS)[number]

// The strategy names users type come from the CRM service's contract: a strategy added to the
// service is a valid scenario value at once.
export {
  BALANCER_ENGINES as BALANCER_ENGINE_NAMES,
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
export type BalancerEngine = BalancerEngineName
export type PartitionName = PartitionStrategyName
export type CacheStrategy = CacheStrategyName
export type WritePolicyName = WritePolicy
export type StoreName = ShardStoreKind
export type FaultAction = (typeof FAULT_ACTIONS)[number]
export type NetworkFaultAction = (typeof NETWORK_FAULT_ACTIONS)[number]
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number]
export type ResourceRole = (typeof RESOURCE_ROLES)[number]

/** How a network link behaves for the whole run (Toxiproxy, containers environment): latency and bandwidth. */
export interface LinkCondition {
  /** Added to each response on the link (whole ms), give or take up to `jitterMs` (latency 2, jitter 1: 1 or 2 ms). */
  latencyMs?: number
  jitterMs?: number
  /** The link's rate in KB/s. */
  rateKBps?: number
}

/** Docker limits of one member's container: `cpus` (CPU quota, 0.5 = half a core) and `memoryMb`. */
export interface ResourceSpec {
  cpus?: number
  memoryMb?: number
}
export type DurabilityName = Durability

/**
 * A downstream system keeping a copy of the customers, and how changes reach it:
 * `none` (no downstream), `sync-call` (each write calls downstream before it is acknowledged),
 * `queue-push` (each shard's outbox is published to `broker`, downstream consumes it) or
 * `scheduled-pull` (downstream asks the CRM for changes every `intervalMs`).
 */
export interface SyncSpec {
  strategy?: SyncStrategyName
  /** queue-push: the broker, also the name of its member (default rabbitmq; or kafka). */
  broker?: SyncBrokerName
  /** scheduled-pull: ms between pulls when caught up (default 1000). */
  intervalMs?: number
  /** Changes per pull (per shard) or broker messages in flight (default 500). */
  batch?: number
  /** After the load, how long to wait for downstream to catch up before counting what is missing (default 60 s). */
  drainTimeoutS?: number
}

/** Emulated capacity of one process: `off`, `constant:<ms>` or `exp:<ms>` per request, `slots` served at once. */
export interface CapacitySpec {
  serviceTime: string
  slots?: number
  queueLimit?: number
}

export interface TopologySpec {
  replicas?: number
  shards?: number
  /** Used when replicas > 1. */
  balancer?: { strategy?: BalancerStrategy; engine?: BalancerEngine; weights?: number[] }
  partition?: PartitionName
  cache?: { strategy?: CacheStrategy; size?: number; ttlMs?: number; writePolicy?: WritePolicyName }
  store?: StoreName
  /**
   * Embedded shards: `none` keeps data in memory only (a restarted shard comes back empty);
   * `everysec` and `always` append every change to a log in the run folder, replayed on restart
   * (fsync once a second / before each answer). Default `none`.
   */
  durability?: DurabilityName
  capacity?: { replica?: CapacitySpec; shard?: CapacitySpec }
  sync?: SyncSpec
  /** Containers environment: CPU quota and memory limit per member kind. */
  resources?: Partial<Record<ResourceRole, ResourceSpec>>
  /**
   * Containers environment: links that behave this way from the start, by link
   * (`'replicas -> redis': { latencyMs: 1.5 }`). A link the topology lacks (no redis) is ignored.
   */
  links?: Record<string, LinkCondition>
}

/** A topology with every default filled in: what the environment starts. */
export interface Topology {
  replicas: number
  shards: number
  balancer: { strategy: BalancerStrategy; engine: BalancerEngine; weights?: number[] }
  partition: PartitionName
  cache: { strategy: CacheStrategy; size: number; ttlMs: number; writePolicy: WritePolicyName }
  store: StoreName
  durability: DurabilityName
  capacity: { replica?: Required<CapacitySpec>; shard?: Required<CapacitySpec> }
  sync: Required<SyncSpec>
  resources: Partial<Record<ResourceRole, ResourceSpec>>
  links: Record<string, LinkCondition>
}

/** The values each matrix path takes: a scenario's matrix gets completion for its keys and values. */
interface MatrixValues {
  replicas: number
  shards: number
  partition: PartitionName
  store: StoreName
  durability: DurabilityName
  'balancer.strategy': BalancerStrategy
  'balancer.engine': BalancerEngine
  'cache.strategy': CacheStrategy
  'cache.size': number
  'cache.ttlMs': number
  'cache.writePolicy': WritePolicyName
  'capacity.replica.serviceTime': string
  'capacity.replica.slots': number
  'capacity.replica.queueLimit': number
  'capacity.shard.serviceTime': string
  'capacity.shard.slots': number
  'capacity.shard.queueLimit': number
  'resources.replica.cpus': number
  'resources.replica.memoryMb': number
  'resources.shard.cpus': number
  'resources.shard.memoryMb': number
  'resources.balancer.cpus': number
  'resources.balancer.memoryMb': number
  'resources.redis.cpus': number
  'resources.redis.memoryMb': number
  'sync.strategy': SyncStrategyName
  'sync.broker': SyncBrokerName
  'sync.intervalMs': number
  'sync.batch': number
}

/**
 * Topology field path -> the values to try; every combination is a run (cell). Indexing
 * MatrixValues by every MatrixPath makes a path added to one list and not the other a compile
 * error. A scenario with `target` varies `target` instead: versions of the user's own service.
 */
export type MatrixSpec = { [P in MatrixPath]?: Array<MatrixValues[P]> } & { target?: string[] }

export interface WorkloadSpec {
  mix: Partial<Record<OperationName, number>>
  keys: KeyPopularity
  datasetSize: number
  seed?: number
  requestTimeoutMs?: number
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** One request of the user's own service; strings in path, query, headers and body may hold `${...}` templates. */
export interface HttpStepSpec {
  /** The op tag: thresholds read `http_req_duration{op:<name>}`. */
  name: string
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'
  /** Joined to `target`; starts with '/'. */
  path: string
  headers?: Record<string, string>
  query?: Record<string, string | number | boolean>
  json?: JsonValue
  body?: string
  /** Each condition is one sample of the `checks` rate metric. */
  check?: { status?: number | number[]; bodyContains?: string; json?: Array<{ path: string; equals?: JsonValue }> }
  /** Variables for later steps of the same flow iteration: `${name}`. */
  extract?: Record<string, { json: string } | { header: string } | { regex: string; group?: number }>
  /** Pause after this step (ms), fixed or a uniform range. */
  thinkMs?: number | { min: number; max: number }
}

export interface HttpSpec {
  /** Independent requests, each drawn by weight (default 1). */
  requests?: Array<HttpStepSpec & { weight?: number }>
  /** User journeys: one iteration runs the steps in order. */
  flows?: Array<{ name: string; weight?: number; steps: HttpStepSpec[] }>
  /** Data sets read once (CSV with a header line, or a JSON array of objects), relative to this file: `${set.column}`. */
  data?: Record<string, { file: string; order?: DataOrder }>
  /** Environment variables templates may read (`${env.NAME}`). */
  env?: string[]
  seed?: number
  requestTimeoutMs?: number
}

export type LoadSpec =
  | { model: 'closed'; connections: number; durationS: number; pipelining?: number }
  | { model: 'open'; rate: number; durationS: number; maxInFlight?: number }
  | { model: 'open'; stages: RampStage[]; maxInFlight?: number }

export interface FaultSpec {
  /** Seconds after the measured phase began. */
  atS: number
  action: FaultAction
  /**
   * Member name as the environment lists it: 'replica-1', 'shard-0', 'balancer', 'redis', 'memcached', 'postgres', 'downstream', 'rabbitmq', 'kafka'. For a
   * network fault: every link into or out of that member.
   */
  member?: string
  /** Network faults: one link or a group, `'replica-1 -> shard-0'`, `'replicas -> redis'`, `'balancer -> replica-2'`. */
  link?: string
  /** For 'slow': multiplies the member's emulated service time (1 = normal). */
  factor?: number
  /** For 'cpus': the container's new CPU quota (cores). */
  cpus?: number
  /** For 'latency': added to each response on the link (whole ms), give or take up to `jitterMs`. */
  latencyMs?: number
  jitterMs?: number
  /** For 'bandwidth': the link's rate in KB/s. */
  rateKBps?: number
  /** For 'timeout' (data stops, the connection closes after this many ms; 0 = never) and 'reset' (reset after this many ms). */
  timeoutMs?: number
}

export type ThresholdSpec = Record<string, Array<string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string }>>

/** Shorter settings used by `--quick` (tests, a first look); anything left out gets a quick default. */
export interface QuickOverrides {
  load?: LoadSpec
  /**
   * At least `durationS` seconds of load before measuring, then more until per-second throughput
   * and p95 stop improving, up to `maxS` in all (default 3 × durationS; equal to durationS for a
   * fixed warm-up).
   */
  warmup?: { durationS: number; maxS?: number }
  datasetSize?: number
  repetitions?: number
  stress?: Partial<StressSpec>
  matrix?: MatrixSpec
}

export interface StressSpec {
  /** Open-model arrival rate of the first step (req/s). */
  startRate: number
  step: number
  maxRate: number
  stepDurationS: number
}

export interface ScenarioDefinition {
  name: string
  kind: ScenarioKind
  description: string
  /** Where the topology runs: 'local' processes (default) or 'containers'; `loadlab run --env` overrides it. */
  environment?: EnvironmentName
  /** The topology LoadLab starts (processes or containers); leave out when `target` is set. */
  topology?: TopologySpec
  /** URL of a system the user runs (loopback only); no topology is started. */
  target?: string
  /** Topology field path -> values; every combination of values is a run (cell). */
  matrix?: MatrixSpec
  /** The CRM workload; with `target`, `http` may replace it. */
  workload?: WorkloadSpec
  /** Requests and flows to your own service at `target` (nothing is seeded, no LoadLab endpoint is assumed). */
  http?: HttpSpec
  load: LoadSpec
  /**
   * At least `durationS` seconds of load before measuring, then more until per-second throughput
   * and p95 stop improving, up to `maxS` in all (default 3 × durationS; equal to durationS for a
   * fixed warm-up).
   */
  warmup?: { durationS: number; maxS?: number }
  /** Runs per cell; 2 or more gives confidence intervals. */
  repetitions?: number
  faults?: FaultSpec[]
  /** k6 grammar: `{ 'http_req_duration{op:get_customer}': ['p(95)<50'] }`. */
  thresholds?: ThresholdSpec
  slo?: Slo
  /** kind 'stress': the runner steps the open-model rate and stops once past the knee. */
  stress?: StressSpec
  /** kind 'scale-out': the load the capacity plan must serve. */
  capacity?: { targetRps: number; headroom?: number }
  quick?: QuickOverrides
}

/**
 * A validated scenario with every default filled in: what `loadScenario` returns and the runner
 * plans from. `quick` has already been applied when the user asked for `--quick`.
 */
export interface Scenario {
  name: string
  kind: ScenarioKind
  description: string
  /** Where the topology runs (the scenario's `environment`, or `--env`). */
  environment: EnvironmentName
  /** Absolute path of the scenario file, or null when built in code. */
  file: string | null
  /** null when the scenario targets an external system. */
  topology: Topology | null
  target: URL | null
  matrix: Record<string, Array<string | number>>
  /** The CRM workload; for an HTTP scenario an empty mix and dataset, with its seed and request timeout. */
  workload: Required<WorkloadSpec>
  /** The user's own service's requests and flows, resolved (data read, env looked up); null for CRM scenarios. */
  http: HttpWorkload | null
  load: LoadModel
  /** Minimum warm-up (s). */
  warmupS: number
  /** Longest warm-up (s) when per-second figures keep improving; equal to warmupS for a fixed one. */
  warmupMaxS: number
  repetitions: number
  faults: FaultSpec[]
  thresholds: ThresholdSpec
  slo: Slo | null
  stress: StressSpec | null
  capacity: { targetRps: number; headroom: number } | null
  quick: QuickOverrides | null
}
