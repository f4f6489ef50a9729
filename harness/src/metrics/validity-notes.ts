import type { RunMetrics, ValidityNote } from '../results/results-schema.js'
import type { EngineSummary } from './sample.js'

// Can the run's numbers be trusted? Turns the engine's generator health and the measured
// metrics into the validity notes shown in results, console and report. A generator that was
// itself the bottleneck under-reports throughput and over-reports latency: that run says so.

/** Share of one core above which the generator is considered saturated. */
export const GENERATOR_CPU_LIMIT = 0.9
/** Event-loop lag p99 (ms) above which the generator's timing is unreliable. */
export const EVENT_LOOP_LAG_LIMIT_MS = 50

export function validityNotes(summary: EngineSummary, metrics: RunMetrics): ValidityNote[] {
  const notes: ValidityNote[] = []
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`
  if (summary.generatorCpu >= GENERATOR_CPU_LIMIT) {
    notes.push({
      level: 'warning',
      code: 'generator-saturated',
      message: `the load generator used ${pct(summary.generatorCpu)} of a core: it may have been the bottleneck, so throughput is a lower bound and latency an upper bound; use fewer connections/a lower rate or a bigger machine`,
    })
  }
  if (summary.eventLoopLagP99Ms >= EVENT_LOOP_LAG_LIMIT_MS) {
    notes.push({
      level: 'warning',
      code: 'event-loop-lag',
      message: `the generator's event loop lagged ${summary.eventLoopLagP99Ms.toFixed(0)} ms at p99: requests left late and latencies include generator delay`,
    })
  }
  if (metrics.dropped_iterations.count > 0) {
    notes.push({
      level: 'warning',
      code: 'dropped-iterations',
      message: `${metrics.dropped_iterations.count} arrivals were dropped because the in-flight cap was reached: the system could not keep up with the offered rate (raise load.maxInFlight only if the generator, not the system, is the limit)`,
    })
  }
  const failed = metrics.http_req_failed
  if (failed.fails > 0) {
    const codes = Object.entries(metrics.status_counts)
      .filter(([code]) => code === '0' || Number(code) >= 400)
      .map(([code, n]) => `${code === '0' ? 'no response' : code} x${n}`)
      .join(', ')
    notes.push({ level: failed.rate >= 0.01 ? 'warning' : 'info', code: 'errors', message: `${failed.fails} requests failed (${pct(failed.rate)}): ${codes}` })
  }
  if (summary.engine === 'autocannon' || summary.engine === 'k6') {
    notes.push({
      level: 'info',
      code: 'coordinated-omission',
      message: 'closed model: while the system stalls the generator waits, so latency percentiles under-represent stalls (coordinated omission); use the open engine for user-facing latency',
    })
  } else {
    const c = metrics.http_req_duration.p99
    const u = metrics.http_req_duration_uncorrected.p99
    if (u > 0 && c > 2 * u) {
      notes.push({
        level: 'info',
        code: 'coordinated-omission',
        message: `p99 measured from each request's intended start is ${c.toFixed(1)} ms but ${u.toFixed(1)} ms from its actual send: requests waited before they could be sent (a stall), which the corrected figure shows`,
      })
    }
  }
  if (metrics.stale_reads.count > 0) {
    notes.push({ level: 'warning', code: 'stale-reads', message: `${metrics.stale_reads.count} of ${metrics.stale_reads.checked} checked reads returned a version older than one already acknowledged` })
  }
  if (metrics.lost_writes && metrics.lost_writes.count > 0) {
    notes.push({ level: 'error', code: 'lost-writes', message: `${metrics.lost_writes.count} of ${metrics.lost_writes.checked} acknowledged writes were missing or older when read back after the run` })
  }
  if (summary.durationS < 5) {
    notes.push({ level: 'info', code: 'short-run', message: `the measured phase lasted ${summary.durationS.toFixed(1)} s: too short for stable tail percentiles` })
  }
  return notes
}
