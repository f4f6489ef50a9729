import type { AgentReport } from '../results/results-schema.js'
import type { MetricsDelta } from './metrics-delta.js'
import type { CheckFailure } from '../workload/http-request-stream.js'

// What an engine emits: one sample per finished (or failed, or dropped) request. Engines only
// emit; sinks (histograms, counters, time series, threshold checks) decide what to keep.

export interface Sample {
  /** Wall clock (ms since epoch) when the request was intended to start (open model) or started (closed). */
  epochMs: number
  /** The op tag: a CRM operation name, or the name of an HTTP scenario's request or flow step. */
  op: string
  /** HTTP status, or 0 when no response came (connect error, timeout, reset). */
  status: number
  /** Latency in ms, measured from the intended start time (coordinated-omission corrected). */
  latencyMs: number
  /** Latency in ms from when the request actually went out; equal to latencyMs for closed-model engines. */
  serviceLatencyMs: number
  /** Set when status is 0 or the request failed below HTTP: 'timeout', 'ECONNREFUSED', ... */
  error?: string
  /** true when the request was never sent because the in-flight cap was reached (open model). */
  dropped?: boolean
  /** Read of a record older than the newest version this harness had acknowledged for it. */
  staleRead?: boolean
  /** HTTP scenarios: conditions of the step's `check` (and its extractions) that held and that did not; each is one sample of the `checks` rate. */
  checksPassed?: number
  checksFailed?: number
  /** The conditions that failed, each with the response that failed it (the report's examples). */
  checkFailures?: CheckFailure[]
}

export interface SampleSink {
  /** Called by engines with batches of samples as they finish; must return quickly and never throw. */
  add(batch: readonly Sample[]): void
}

/** The harness's sink: samples from an engine in this process, deltas from load agents. */
export interface MetricsSink extends SampleSink {
  /** Called by the agent coordinator with each agent's delta (histograms and counters, already recorded); must not throw. */
  merge(delta: MetricsDelta): void
}

/** What an engine reports when it stops, besides the samples. */
/** The results file's record of one load agent, which the agents report. */
export type { AgentReport }

export interface EngineSummary {
  engine: 'autocannon' | 'native' | 'k6'
  /** Actual duration of the measured phase in seconds. */
  durationS: number
  /** Requests the engine sent (excluding dropped). */
  sent: number
  dropped: number
  /** Highest number of requests in flight at once. */
  maxInFlight: number
  /** Generator health: share of one core the load generator used, and its event-loop lag p99 (ms). */
  generatorCpu: number
  eventLoopLagP99Ms: number
  /** Open model: how late each arrival was dispatched after its scheduled time. */
  scheduleLag?: ScheduleLag
  /** Connections opened before the measured phase (warm) and during it (each of those paid a handshake inside the measurement). */
  connections?: { warm: number; openedDuringRun: number }
  /** When the load ran in agents: each agent's share and health, and what went wrong with it. */
  agents?: AgentReport[]
  notes: string[]
}

/** How late arrivals were dispatched (ms), with the histogram (µs, encoded) so agents' lags merge exactly. */
export interface ScheduleLag {
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** hdr-histogram-js encodeIntoCompressedBase64; null when there were no arrivals. */
  histogram: string | null
}
