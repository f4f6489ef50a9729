import type { LoadModel, Workload } from '../workload/workload.js'

// The contract between measuring and everything after it (analysis, gates, reports, baselines).
// `results.json` is this object. Bump RESULTS_SCHEMA_VERSION on any incompatible change and
// describe it in harness/src/results/README.md. Times are ISO strings; latencies are ms.

export const RESULTS_SCHEMA_VERSION = 2

export interface LatencySummary {
  count: number
  min: number
  mean: number
  stdev: number
  p50: number
  p90: number
  p95: number
  p99: number
  p999: number
  max: number
}

export interface RunMetrics {
  http_reqs: { count: number; rate: number }
  /** Coordinated-omission corrected for the open model; as measured for closed. */
  http_req_duration: LatencySummary
  /** From actual send time (open model only differs). */
  http_req_duration_uncorrected: LatencySummary
  http_req_failed: { rate: number; fails: number; passes: number }
  /** Count by status code as a string; '0' = no response. */
  status_counts: Record<string, number>
  dropped_iterations: { count: number; rate: number }
  /** Share of successful (2xx-4xx expected) requests: 1 - http_req_failed.rate. */
  availability: { rate: number }
  /** From the SUT's /metrics over the measured phase; absent when no member caches. */
  cache_hit_rate?: { rate: number; hits: number; misses: number }
  stale_reads: { count: number; checked: number }
  /** Acknowledged writes read back after the run; absent when the run made no writes. */
  lost_writes?: LostWrites
  /** Sync strategies: from a write's acknowledgement until downstream held that version (0 when it had it first, as with sync-call). Absent without a downstream. */
  sync_lag?: LatencySummary
  /** Acknowledged versions downstream still did not hold after the drain; `checked` records compared. */
  sync_missing?: { count: number; checked: number }
  /** Changes downstream received more than once (at-least-once delivery; harmless, counted). */
  sync_duplicates?: { count: number }
  /** HTTP scenarios with `check`s: every condition evaluated is one sample (k6's checks rate); absent when no step has checks. */
  checks?: { rate: number; passes: number; fails: number }
  /** HTTP scenarios: failed checks by op and condition, with the first failing response (body trimmed), most frequent first. */
  check_failures?: CheckFailureExample[]
}

export interface CheckFailureExample {
  op: string
  check: string
  count: number
  /** Status and body of the first response that failed it (0 = no response). */
  status: number
  body: string
}

/** How the downstream system kept up with the CRM during one run (topology.sync). Added in schema 1 (optional). */
export interface SyncRunResult {
  strategy: string
  /** queue-push only. */
  broker?: string
  /** Per second of the measured phase, by acknowledgement time: sync lag of that second's writes (ms), and how many. */
  lag: Array<{ elapsedS: number; acks: number; p50: number; p95: number; max: number }>
  /** Per second: acknowledged versions downstream did not hold yet at the end of that second. */
  backlog: number[]
  /** Seconds after the load ended until downstream held every acknowledged version; null when it never did within the drain timeout. */
  drainS: number | null
  /** After the last fault on downstream or the broker: seconds until the backlog (sync-call: failed requests per second) was back to its level before the faults; null without such a fault. */
  recoveryS: number | null
  /** Up to 20 of the records still missing downstream, for the report. */
  missingSample: string[]
  /** Why something is missing or unmeasured (downstream unreachable, drain timed out), when it is. */
  note?: string
}

/**
 * The read-back of acknowledged writes. `count` of the `checked` records were missing or older
 * than acknowledged; `unverified` records gave no usable answer (5xx, no response) and are
 * neither confirmed nor lost. A lost_writes threshold fails while any write is unverified unless
 * `unverifiedExplainedBy` lists faults of the run that explain it (a member killed or paused).
 */
export interface LostWrites {
  count: number
  checked: number
  /** Added in schema 1 (optional in files written before). */
  unverified?: number
  /** The applied kill/pause faults that explain unverified writes, e.g. "kill shard-1 at 3.0 s"; empty when none does. */
  unverifiedExplainedBy?: string[]
}

export interface OperationMetrics {
  http_reqs: { count: number; rate: number }
  http_req_duration: LatencySummary
  http_req_failed: { rate: number; fails: number; passes: number }
}

/** One second of a run. */
export interface TimePoint {
  /** Whole seconds since the measured phase began (this point covers [elapsedS, elapsedS + 1)). */
  elapsedS: number
  reqs: number
  errors: number
  dropped: number
  p50: number
  p95: number
  p99: number
  max: number
  /** Open model: the arrival rate the engine aimed for in this second. */
  offeredRate?: number
  /** From the SUT scrape of this second, when available. */
  cacheHitRate?: number
}

export interface FaultEvent {
  /** Seconds since the measured phase began. */
  elapsedS: number
  at: string
  /** The scenario's fault actions (scenario.ts); spelt out here because results sit below scenarios, and the compiler flags a new action where a FaultEvent is built. */
  action: 'kill' | 'pause' | 'resume' | 'restart' | 'slow' | 'cpus' | 'latency' | 'bandwidth' | 'timeout' | 'reset' | 'partition' | 'heal'
  /** The member, or for a network fault the link ("replica-1 -> shard-0") or the member whose links it cut. */
  member: string
  detail?: string
  ok: boolean
  error?: string
}

export interface ValidityNote {
  level: 'info' | 'warning' | 'error'
  code:
    | 'generator-saturated'
    | 'event-loop-lag'
    | 'dropped-iterations'
    | 'errors'
    | 'coordinated-omission'
    | 'littles-law'
    | 'stale-reads'
    | 'lost-writes'
    | 'sync-missing'
    | 'short-run'
    | 'schedule-lag'
    | 'agent-lost'
    | 'other'
  message: string
}

/** What the SUT's members reported about the measured phase (deltas of their counters). */
export interface SutMetrics {
  /** Requests answered per backend (balancer view, or X-Backend counts). */
  backends: Record<string, number>
  /** Requests served per shard index ("0", "1", ...). */
  shards: Record<string, number>
  cache?: { hits: number; misses: number; evictions: number; size: number }
  /** consistent-hash and others: share of keys that would move if one shard were added. */
  keysMovedIfShardAdded?: number
}

/** The topology a run used, fully resolved (defaults filled in). */
export interface TopologyInfo {
  /** 'local' | 'containers' | 'external' */
  environment: string
  target?: string
  replicas: number
  shards: number
  balancer: { strategy: string; engine: string } | null
  partition: string
  cache: { strategy: string; size: number; ttlMs: number; writePolicy: string }
  store: string
  capacity: { serviceTime: string; slots: number; queueLimit: number } | null
  /** Capacity model of the shard servers, when the scenario set one (`capacity` is the replicas'). Added in schema 1 (optional). */
  shardCapacity?: { serviceTime: string; slots: number; queueLimit: number }
  /** The embedded shards' append-only log: none, everysec or always. Added in schema 1 (optional; absent = none). */
  durability?: string
  /** Sync strategy (and broker for queue-push). Added in schema 1 (optional; absent = none). */
  sync?: { strategy: string; broker?: string; intervalMs?: number }
  /** Containers environment only: how the members ran. Added in schema 1 (optional). */
  containers?: ContainersInfo
}

/** What a run in containers records about them, so its numbers can be read in context. */
export interface ContainersInfo {
  /** Value of the `loadlab.run` label on every container of the run. */
  runId: string
  /** 'host': every member listens on its own 127.0.0.1 port in the host's network namespace. */
  network: 'host'
  /** Image per kind (crm, redis, postgres, toxiproxy, ...): its name, and whether it is the official image, a local build or one the user named. */
  images: Record<string, { name: string; source: 'official' | 'local' | 'custom' }>
  /** CPU quota and memory limit per member kind, as applied. */
  resources: Partial<Record<'replica' | 'shard' | 'balancer' | 'redis', { cpus?: number; memoryMb?: number }>>
  /** Links that ran through Toxiproxy (those a link condition or a network fault names); every other link is direct. */
  proxiedLinks: string[]
  /** The topology's standing link conditions (`'replicas -> redis': { latencyMs: 2 }`) that applied: a cell without redis has none on 'replicas -> redis'. */
  linkConditions: Record<string, { latencyMs?: number; jitterMs?: number; rateKBps?: number }>
}

/** What an environment adds to a run's topology in results.json. */
export interface EnvironmentInfo {
  containers?: ContainersInfo
}

export interface RunResult {
  /** Unique in the suite, readable: "cache=lru replicas=2 #1". */
  id: string
  /** The matrix values of this run's cell; runs with equal cells are repetitions. */
  cell: Record<string, string | number>
  /** Readable cell label, equal for all repetitions of a cell: "cache=lru replicas=2". */
  cellLabel: string
  repetition: number
  topology: TopologyInfo
  workload: Workload
  load: LoadModel
  engine: 'autocannon' | 'native' | 'k6'
  startedAt: string
  /** Seconds of warm-up before the measured phase (adaptive: until the system stopped warming). Added in schema 1 (optional). */
  warmupS?: number
  durationS: number
  status: 'ok' | 'failed' | 'aborted'
  /** Why a run failed or was aborted; metrics keep what was measured until then. */
  error?: string
  metrics: RunMetrics
  /** Per op tag: CRM operation names, or the request and step names of an HTTP scenario. */
  perOperation: Record<string, OperationMetrics>
  timeSeries: TimePoint[]
  /** http_req_duration HDR histogram (µs), base64 from hdr-histogram-js encodeIntoCompressedBase64. */
  histogram: string
  /** Latency percentile distribution for charts: [percentile, ms] pairs up to 99.99. */
  percentiles: Array<[number, number]>
  sut: SutMetrics
  faults: FaultEvent[]
  validity: ValidityNote[]
  generator: {
    /** Share of one core the load generator used (the busiest agent's, when the load ran in agents). */
    cpu: number
    eventLoopLagP99Ms: number
    maxInFlight: number
    /** Open model: how late arrivals were sent after their scheduled time (ms). Added in schema 1 (optional). */
    scheduleLag?: { p50Ms: number; p99Ms: number; maxMs: number }
    /** Connections opened before the measured phase (warm) and during it. Added in schema 1 (optional). */
    connections?: { warm: number; openedDuringRun: number }
    /** The load agents the load ran in, each with its share and health. Added in schema 1 (optional). */
    agents?: AgentReport[]
  }
  /** topology.sync other than none: how downstream kept up. */
  sync?: SyncRunResult
}

export interface Slo {
  /** e.g. { metric: 'http_req_duration', stat: 'p95', below: 200 } */
  latency: { stat: 'p50' | 'p90' | 'p95' | 'p99'; belowMs: number }
  /** Highest tolerated http_req_failed rate. */
  maxErrorRate: number
}

export interface ThresholdOutcome {
  runId: string
  /** As written: "http_req_duration{op:get_customer}" */
  metric: string
  expression: string
  /** The measured value the expression compared, or null when it could not be computed. */
  value: number | null
  passed: boolean
  abortOnFail: boolean
  message?: string
}

/**
 * What a baseline comparison's interval says about the tolerance: `regression` (the whole
 * interval beyond it on the bad side; fails the gate), `worse` (significantly worse, not proven
 * beyond it), `improved`, `within-tolerance` (a change beyond it is ruled out), `inconclusive`
 * (the interval includes 0 and changes beyond it), `cannot-tell` (no interval).
 */
export type ChangeOutcome = 'regression' | 'worse' | 'improved' | 'within-tolerance' | 'inconclusive' | 'cannot-tell'

export interface BaselineChange {
  metric: string
  cellLabel: string
  /**
   * Over the baseline runs used (after a history shift, the runs since): the geometric mean for
   * throughput and latency, the mean for error rate.
   */
  baseline: number
  current: number
  /** current / baseline − 1; error_rate: current − baseline (absolute). */
  relChange: number
  /** Interval of relChange; equal to [relChange, relChange] when `noInterval` is set. */
  ci: [number, number]
  significant: boolean
  regression: boolean
  /** Added in schema 1 (optional): the outcome, its sentence, runs per side, the interval's method. */
  outcome?: ChangeOutcome
  text?: string
  runs?: { baseline: number; current: number }
  method?: string
  /** Why there is no interval ("1 run each, no interval"). */
  noInterval?: string
}

export interface GateResult {
  passed: boolean
  thresholds: ThresholdOutcome[]
  baseline?: {
    /** The --baseline argument: a results.json or a folder of them. */
    file: string
    tolerance: number
    /** A folder baseline: results files and runs it held (added in schema 1, optional). */
    history?: { files: number; runs: number }
    changes: BaselineChange[]
    /** History shifts, files left out (added in schema 1, optional). */
    notes?: string[]
    passed: boolean
  }
}

export interface Interval {
  estimate: number
  lo: number
  hi: number
  /** Runs behind the estimate. */
  n: number
  /** How the interval was made, in words. */
  method: string
  /**
   * Set when the data cannot give an interval (then lo = hi = estimate): why, in words, e.g.
   * "1 run each, no interval". Readers say "cannot tell", never show a zero-width interval.
   * Added in schema 1 (optional).
   */
  noInterval?: string
  /** Degrees of freedom of the t quantile. Added in schema 1 (optional). */
  df?: number
}

export interface CellSummary {
  cellLabel: string
  cell: Record<string, string | number>
  runs: string[]
  /** metric key ("rps", "p95", "p99", "error_rate", "cache_hit_rate") -> interval over repetitions */
  metrics: Record<string, Interval>
}

export interface Comparison {
  metric: string
  a: string
  b: string
  /** (b - a) / a with its interval. */
  relDiff: Interval
  significant: boolean
  /** Which cell is better on this metric, only when significant. */
  better: string | null
  /**
   * Added in schema 1 (optional): `different` (significant), `no-difference` (the interval
   * includes 0 and is narrow enough to rule out large differences), `cannot-tell` (no interval,
   * or one so wide that it allows large differences either way).
   */
  outcome?: 'different' | 'no-difference' | 'cannot-tell'
  text: string
}

export interface KneePoint {
  offeredRps: number
  achievedRps: number
  latency: number
  errorRate: number
  sloOk: boolean
}
export interface KneeResult {
  maxSustainableRps: number | null
  points: KneePoint[]
  evidence: string
  sloText: string
}

export interface UslFit {
  sigma: number
  kappa: number
  lambda: number
  nStar: number | null
  xStar: number | null
  r2: number
  points: Array<{ n: number; throughput: number; fitted: number; residual: number; efficiency: number }>
  /** Set when the data is degenerate (κ≈0, < 3 points): what the fit can and cannot say. */
  note?: string
  /**
   * Set when the fit must not be used to plan without a look at the data: throughput does not
   * grow with N, or the fitted peak N* lies below the smallest measured N. Added in schema 1 (optional).
   */
  warning?: string
}

export interface CapacityPlan {
  targetRps: number
  headroom: number
  replicas: number | null
  /** Why: the throughput that count gives, or that the peak X(N*) is below target. */
  reason: string
}

export interface SuiteAnalysis {
  cells: CellSummary[]
  comparisons: Comparison[]
  /** metric -> winning cell label, only when significant */
  winners: Record<string, string>
  knee?: KneeResult
  scalability?: UslFit
  capacityPlan?: CapacityPlan
  partitions?: Array<{ cellLabel: string; shareByShard: Record<string, number>; hottestShare: number; keysMovedIfShardAdded?: number }>
  caches?: Array<{ cellLabel: string; hitRate: Interval; latencyGainPerPointMs: number | null }>
  /**
   * Runs that look cold (added in schema 1, optional): a first repetition far worse than the
   * others, or a measured phase that began with a warm-up transient. Each is also in `notes`.
   */
  coldRuns?: Array<{ runId: string; cellLabel: string; kind: 'first-repetition' | 'start-of-run'; metric: string; text: string }>
  notes: string[]
}

export interface SuiteResult {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION
  tool: { name: 'loadlab'; version: string }
  scenario: {
    name: string
    kind: string
    description: string
    file: string | null
    slo: Slo | null
    /** metric expression -> threshold expressions, as in the scenario */
    thresholds: Record<string, Array<string | { threshold: string; abortOnFail?: boolean }>>
  }
  startedAt: string
  finishedAt: string
  machine: { hostname: string; platform: string; cpus: number; cpuModel: string; memoryMb: number; node: string }
  runs: RunResult[]
  analysis: SuiteAnalysis | null
  gates: GateResult | null
  verdict: { text: string; passed: boolean; exitCode: number }
}

/** One load agent of a run. */
export interface AgentReport {
  index: number
  /** How the agent named itself (pod name; host:pid for local agents). */
  name: string
  pid: number
  host: string
  /** done: finished its slice; failed: its engine stopped with an error; lost: its connection closed or went silent first. */
  status: 'done' | 'failed' | 'lost'
  sent: number
  dropped: number
  /** Share of one core the agent's process used, and its event-loop lag p99 (ms); 0 when it did not finish. */
  cpu: number
  eventLoopLagP99Ms: number
  /** Why it did not finish, when it did not. */
  problem?: string
}
