import type { RunResult } from '../results/results-schema.js'

// Little's law, L = X·W: in a closed-model run every connection always has exactly one request
// outstanding (pipelining p: p of them), so throughput × mean latency must equal the number of
// connections. A large gap means the measurement is not what it claims to be.

/** Relative gap tolerated before a warning: seconds at the edges and connection setup cost a few %. */
export const LITTLES_LAW_TOLERANCE = 0.2

export interface LittlesLawCheck {
  runId: string
  expectedConcurrency: number
  measuredConcurrency: number
  /** measured / expected − 1 */
  deviation: number
  ok: boolean
  /** Set when !ok: the sentence for analysis.notes, with the likely cause. */
  message?: string
}

/** Checks one run; null for open-model runs and runs without requests. */
export function checkLittlesLaw(run: RunResult): LittlesLawCheck | null {
  if (run.load.model !== 'closed' || run.status === 'failed') return null
  const x = run.metrics.http_reqs.rate
  const w = run.metrics.http_req_duration.mean / 1000
  if (!(x > 0 && w > 0)) return null
  const expected = run.load.connections * (run.load.pipelining ?? 1)
  if (!(expected > 0)) return null
  const measured = x * w
  const deviation = measured / expected - 1
  const ok = Math.abs(deviation) <= LITTLES_LAW_TOLERANCE
  const check: LittlesLawCheck = { runId: run.id, expectedConcurrency: expected, measuredConcurrency: measured, deviation, ok }
  if (!ok) {
    const head = `Little's law: ${run.id}: throughput × mean latency = ${x.toFixed(1)} req/s × ${(w * 1000).toFixed(1)} ms = ${measured.toFixed(1)} requests in flight, but ${expected} were kept open (${deviation > 0 ? '+' : ''}${(deviation * 100).toFixed(0)}%)`
    const cause =
      deviation < 0
        ? `: the connections were idle part of the time, most likely the load generator was the bottleneck (its CPU ${(run.generator.cpu * 100).toFixed(0)}% of a core, event-loop lag p99 ${run.generator.eventLoopLagP99Ms.toFixed(1)} ms) or requests failed before being timed; the latency figures understate what a faster client would see`
        : `: latency covers more time than the throughput window (requests queued inside the generator, timeouts counted at their full length, or a measured phase shorter than the latency window); treat the percentiles with care`
    check.message = head + cause
  }
  return check
}
