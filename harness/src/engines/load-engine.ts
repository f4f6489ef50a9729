import type { Workload } from '../workload/workload.js'
import type { EngineSummary, MetricsSink } from '../metrics/sample.js'
import type { Dataset } from '../workload/dataset.js'
import type { VersionTracker } from '../workload/version-tracker.js'
import type { ExecutionSegment } from '../workload/execution-segment.js'

export type EngineName = 'autocannon' | 'native' | 'k6'

/** What the runner shows while an engine runs. */
export interface EngineTick {
  /** Seconds since the measured phase began, at the end of the second that just ended (the native engine reports whole seconds). */
  elapsedS: number
  totalS: number
  /** 0-based index of the second that just ended. */
  second: number
  /** Open model: the arrival rate aimed for during that second. */
  offeredRate?: number
}

export interface EngineContext {
  /** Receives every sample (engines batch their calls) or, from load agents, their deltas. */
  sink: MetricsSink
  /** Aborting stops the run quickly (in-flight requests are abandoned, not recorded). */
  signal: AbortSignal
  /** Customers to address; create_customer appends to it during the run. */
  dataset: Dataset
  /** Acknowledged versions of records the run wrote (stale reads, lost writes). */
  versions: VersionTracker
  /**
   * Makes the emails of customers created during the run unique across runs on one target
   * (default "n<seed>"): set it for an external target that keeps its data between runs,
   * where a repeated email would be answered 409.
   */
  emailTag?: string
  /** Called about once per second while the run is going. */
  onTick?(t: EngineTick): void
  /** The share of the scenario's load this engine drives (a load agent's slice); default the whole load. */
  segment?: ExecutionSegment
}

/** One phase of an engine's plan, shown before the run (`--dry-run`, report). */
export interface ExecutionStep {
  startS: number
  durationS: number
  description: string
  /** Open model: arrival rate at the end of the step (req/s). */
  rate?: number
  /** Closed model: concurrent connections. */
  connections?: number
}

export interface LoadEngine {
  readonly name: EngineName
  /** Called before the run (and for dry runs): what the engine will do and when. Throws on a load model it cannot drive. */
  plan(w: Workload): ExecutionStep[]
  /**
   * Called right before run() with the same arguments, outside the measured phase: opens the
   * connections the run will need (warm start), so the first second measures the server and
   * not the handshakes. Optional: run() prepares by itself when it was not called. Rejects
   * when the target cannot be reached.
   */
  prepare?(w: Workload, target: URL, ctx: EngineContext): Promise<void>
  /** Called once per run after seeding (and prepare): drives the load at `target`, streaming samples to ctx.sink. */
  run(w: Workload, target: URL, ctx: EngineContext): Promise<EngineSummary>
  /** Called by the runner after the engine's last run (also after a failure): stops whatever the engine keeps between runs (load agents). */
  close?(): Promise<void>
}
