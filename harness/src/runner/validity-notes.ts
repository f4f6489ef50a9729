import type { EngineSummary } from '../metrics/sample.js'
import type { RunMetrics, ValidityNote } from '../results/results-schema.js'
import type { LoadModel } from '../workload/workload.js'

/** Above this share of one core the generator, not the system, may have set the pace. */
export const GENERATOR_CPU_LIMIT = 0.85
/** Event-loop lag p99 (ms) beyond which timings of the generator are themselves delayed. */
export const EVENT_LOOP_LAG_LIMIT_MS = 50
const SHORT_RUN_S = 5
/** Schedule lag p99 (ms) beyond which the generator's own lateness is a visible part of the corrected latency. */
export const SCHEDULE_LAG_LIMIT_MS = 1

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`
const fmtMs = (ms: number): string => `${ms < 1 ? ms.toFixed(3) : ms.toFixed(1)} ms`

/**
 * What a reader must know before trusting a run's numbers. Called by the runner once per run
 * after the measured phase; the notes go into results.json, the console and the report.
 */
export function validityNotes(metrics: RunMetrics, summary: EngineSummary | null, load: LoadModel, durationS: number): ValidityNote[] {
  const notes: ValidityNote[] = []
  if (summary) {
    if (summary.generatorCpu > GENERATOR_CPU_LIMIT) {
      notes.push({
        level: 'warning',
        code: 'generator-saturated',
        message:
          `the load generator used ${pct(summary.generatorCpu)} of a CPU core: it may have been the bottleneck, so ` +
          'throughput may be under-reported and latency over-reported. Lower the load, share it by more load agents (--agents), or run the generator on another machine.',
      })
    }
    if (summary.eventLoopLagP99Ms > EVENT_LOOP_LAG_LIMIT_MS) {
      notes.push({
        level: 'warning',
        code: 'event-loop-lag',
        message: `the generator's event loop lagged ${summary.eventLoopLagP99Ms.toFixed(0)} ms (p99): its timings carry that much error`,
      })
    }
    for (const note of summary.notes) notes.push({ level: 'info', code: 'other', message: `${summary.engine}: ${note}` })
    const lag = summary.scheduleLag
    if (lag) {
      const late = lag.p99Ms > SCHEDULE_LAG_LIMIT_MS
      notes.push({
        level: late ? 'warning' : 'info',
        code: 'schedule-lag',
        message:
          `arrivals went out p50 ${fmtMs(lag.p50Ms)} / p99 ${fmtMs(lag.p99Ms)} after their scheduled time (max ${fmtMs(lag.maxMs)})` +
          (late
            ? ': the generator was late, and the corrected latencies include that delay. Lower the rate per agent (--agents), or free CPU on the generator machine'
            : ''),
      })
    }
    for (const a of summary.agents ?? []) {
      if (a.status === 'done') continue
      notes.push({
        level: 'error',
        code: 'agent-lost',
        message: `load agent ${a.index} (${a.name}) ${a.problem ?? a.status}: what it measured until then is kept (${a.sent} requests), but its share of the load stopped, so the run offered less load than planned`,
      })
    }
  }
  const dropped = metrics.dropped_iterations.count
  if (dropped > 0) {
    const share = dropped / Math.max(1, dropped + metrics.http_reqs.count)
    notes.push({
      level: 'warning',
      code: 'dropped-iterations',
      message: `${dropped} requests (${pct(share)} of the arrivals) were not sent because ${load.model === 'open' ? load.maxInFlight : 'the'} requests were already in flight: the system could not keep up with the offered rate`,
    })
  }
  const failed = metrics.http_req_failed
  if (failed.fails > 0) {
    const byStatus = Object.entries(metrics.status_counts)
      .filter(([status]) => status === '0' || Number(status) >= 400)
      .sort((a, b) => b[1] - a[1])
      .map(([status, n]) => `${status === '0' ? 'no response' : status}: ${n}`)
      .join(', ')
    notes.push({
      level: failed.rate > 0.05 ? 'error' : 'warning',
      code: 'errors',
      message: `${failed.fails} requests failed (${pct(failed.rate)}; ${byStatus})`,
    })
  }
  if (load.model === 'open' && metrics.http_req_duration.count > 0) {
    const corrected = metrics.http_req_duration.p99
    const raw = metrics.http_req_duration_uncorrected.p99
    notes.push({
      level: 'info',
      code: 'coordinated-omission',
      message:
        `latency is measured from each request's scheduled start (coordinated omission corrected): p99 ${corrected.toFixed(1)} ms, ` +
        `${raw.toFixed(1)} ms when measured from the moment it was actually sent` +
        (corrected > raw * 1.2 + 1 ? ' - the difference is time requests waited because the system (or the generator) fell behind' : ''),
    })
  }
  if (metrics.stale_reads.count > 0) {
    notes.push({
      level: 'warning',
      code: 'stale-reads',
      message: `${metrics.stale_reads.count} of ${metrics.stale_reads.checked} checked reads returned a version older than one the harness had already seen acknowledged`,
    })
  }
  if (metrics.lost_writes && metrics.lost_writes.count > 0) {
    notes.push({
      level: 'error',
      code: 'lost-writes',
      message: `${metrics.lost_writes.count} of ${metrics.lost_writes.checked} acknowledged writes were missing or older when read back after the run`,
    })
  }
  const lost = metrics.lost_writes
  if (lost && (lost.unverified ?? 0) > 0) {
    const explained = lost.unverifiedExplainedBy ?? []
    notes.push({
      level: explained.length > 0 && lost.checked > 0 ? 'warning' : 'error',
      code: 'lost-writes',
      message:
        `${lost.unverified} of ${lost.checked + (lost.unverified ?? 0)} acknowledged writes could not be read back after the run (5xx or no answer): they are neither confirmed nor lost; ` +
        (explained.length > 0
          ? `the run's faults explain it (${explained.join(', ')})`
          : 'no fault of the scenario explains it, so a lost_writes threshold fails'),
    })
  }
  if (durationS > 0 && durationS < SHORT_RUN_S) {
    notes.push({ level: 'info', code: 'short-run', message: `the measured phase lasted only ${durationS.toFixed(1)} s: treat its percentiles as rough` })
  }
  return notes
}
