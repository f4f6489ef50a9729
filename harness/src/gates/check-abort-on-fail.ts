import { compare, statLabel, type ParsedThreshold, type ThresholdStat } from './threshold-expression.js'

// k6's abortOnFail: during a run, a threshold marked abortOnFail that already fails stops the
// run early (after its delayAbortEval). Only what the live recorder knows can be checked; a
// threshold whose value is not available live simply waits for the final evaluation.

/** Returns the live value of metric `name` for `stat`, or undefined when it is not known live. */
export type LiveMetricReader = (name: string, stat: ThresholdStat, tags: Record<string, string>) => number | undefined

export interface AbortDecision {
  threshold: ParsedThreshold
  value: number
  /** "http_req_duration p(95)<50 failed at 12 s: measured 81.2" for the console and RunResult.error. */
  message: string
}

/** Called by the runner on each progress tick; returns the first abortOnFail threshold that fails. */
export function checkAbortOnFail(parsed: readonly ParsedThreshold[], elapsedS: number, read: LiveMetricReader): AbortDecision | null {
  for (const t of parsed) {
    if (!t.abortOnFail || elapsedS < t.delayAbortEvalS) continue
    const value = read(t.name, t.stat, t.tags)
    if (value === undefined || !Number.isFinite(value)) continue
    if (!compare(value, t.operator, t.limit)) {
      return {
        threshold: t,
        value,
        message: `${t.metricKey} ${t.expression} failed at ${Math.round(elapsedS)} s (abortOnFail): measured ${statLabel(t.stat)} = ${Number(value.toPrecision(4))}`,
      }
    }
  }
  return null
}

/**
 * A reader over the RunRecorder's live snapshot: http_reqs rate, http_req_duration p(95),
 * http_req_failed rate (errors / requests so far) and dropped_iterations count, untagged only.
 */
export function liveReaderFromSnapshot(s: { rps: number; p95: number; requests?: number; errors: number; dropped: number }): LiveMetricReader {
  return (name, stat, tags) => {
    if (Object.keys(tags).length > 0) return undefined
    if (name === 'http_reqs' && stat.kind === 'rate') return s.rps
    if (name === 'http_req_duration' && stat.kind === 'p' && stat.percentile === 95) return s.p95
    if (name === 'http_req_failed' && stat.kind === 'rate' && s.requests !== undefined && s.requests > 0) return s.errors / s.requests
    if (name === 'dropped_iterations' && stat.kind === 'count') return s.dropped
    return undefined
  }
}
