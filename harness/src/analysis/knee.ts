import type { KneePoint, KneeResult, RunResult, Slo, TimePoint } from '../results/results-schema.js'

// Stress analysis: offered arrival rate against what the system did with it. The knee is the
// highest offered rate at which the SLO holds AND held at every lower rate (one lucky point
// above a failure is not capacity). "Sustainable" also requires that the system kept up: an open
// model that achieves less than 90% of what it offered is queueing or dropping, whatever the
// latency of the requests that did get through says.

/** Share of the offered rate the system must achieve for a point to count as sustained. */
export const FOLLOW_SHARE = 0.9
/** Without an SLO in the scenario, a point fails above this error rate. */
export const DEFAULT_MAX_ERROR_RATE = 0.01

type SloStat = Slo['latency']['stat']

export function sloText(slo: Slo | null): string {
  const follow = `achieved ≥ ${FOLLOW_SHARE * 100}% of offered`
  if (!slo) return `no SLO in the scenario: errors ≤ ${DEFAULT_MAX_ERROR_RATE * 100}% and ${follow}`
  return `${slo.latency.stat} < ${slo.latency.belowMs} ms, errors ≤ ${+(slo.maxErrorRate * 100).toFixed(3)}% and ${follow}`
}

/** Whether a point meets the SLO (the runner's ramp and findKnee use the same rule). */
export function pointMeetsSlo(p: Omit<KneePoint, 'sloOk'>, slo: Slo | null): boolean {
  const latencyOk = slo ? p.latency < slo.latency.belowMs : true
  const errorsOk = p.errorRate <= (slo ? slo.maxErrorRate : DEFAULT_MAX_ERROR_RATE)
  const follows = p.offeredRps <= 0 || p.achievedRps >= FOLLOW_SHARE * p.offeredRps
  return latencyOk && errorsOk && follows
}

/** The offered arrival rate of a run: its `rate` cell key, its open-model rate, or its per-second offered rates. */
export function offeredRateOf(run: RunResult): number | null {
  const cellRate = run.cell.rate
  if (typeof cellRate === 'number' && Number.isFinite(cellRate)) return cellRate
  if (typeof cellRate === 'string' && Number.isFinite(Number(cellRate))) return Number(cellRate)
  if (run.load.model === 'open' && typeof run.load.rate === 'number') return run.load.rate
  const offered = run.timeSeries.map((p) => p.offeredRate).filter((v): v is number => typeof v === 'number')
  return offered.length > 0 ? offered.reduce((s, v) => s + v, 0) / offered.length : null
}

/** One knee point from a whole run (the runner calls it after each step of a stress ramp). */
export function kneePointFromRun(run: RunResult, slo: Slo | null): KneePoint {
  const stat: SloStat = slo?.latency.stat ?? 'p95'
  const offeredRps = offeredRateOf(run) ?? run.metrics.http_reqs.rate
  const base = {
    offeredRps,
    achievedRps: run.metrics.http_reqs.rate,
    latency: run.metrics.http_req_duration[stat],
    errorRate: run.metrics.http_req_failed.rate,
  }
  return { ...base, sloOk: pointMeetsSlo(base, slo) }
}

function secondsLatency(points: readonly TimePoint[], stat: SloStat): number {
  // Per-second points carry p50/p95/p99; p90 is read as p95, which errs on the safe side.
  const pick = (p: TimePoint) => (stat === 'p50' ? p.p50 : stat === 'p99' ? p.p99 : p.p95)
  let num = 0
  let den = 0
  for (const p of points)
    if (p.reqs > 0) {
      num += pick(p) * p.reqs
      den += p.reqs
    }
  return den > 0 ? num / den : 0
}

/** Knee points from one ramping run's seconds: steps of equal offered rate, or ~10 windows of a linear ramp. */
export function kneePointsFromRamp(run: RunResult, slo: Slo | null): KneePoint[] {
  const secs = run.timeSeries.filter((p) => typeof p.offeredRate === 'number')
  if (secs.length === 0) return []
  const groups: TimePoint[][] = []
  for (const p of secs) {
    const last = groups[groups.length - 1]
    if (last && Math.round(last[0]!.offeredRate ?? 0) === Math.round(p.offeredRate ?? 0)) last.push(p)
    else groups.push([p])
  }
  let windows = groups
  if (groups.length > 20) {
    const size = Math.max(3, Math.ceil(secs.length / 10))
    windows = []
    for (let i = 0; i < secs.length; i += size) windows.push(secs.slice(i, i + size))
  }
  const stat: SloStat = slo?.latency.stat ?? 'p95'
  return windows.map((w) => {
    const reqs = w.reduce((s, p) => s + p.reqs, 0)
    const base = {
      offeredRps: w.reduce((s, p) => s + (p.offeredRate ?? 0), 0) / w.length,
      achievedRps: reqs / w.length,
      latency: secondsLatency(w, stat),
      errorRate: reqs > 0 ? w.reduce((s, p) => s + p.errors, 0) / reqs : 0,
    }
    return { ...base, sloOk: pointMeetsSlo(base, slo) }
  })
}

/**
 * Knee points of a suite's stress runs: one point per distinct offered rate (repetitions
 * averaged), or, when there is a single ramping run, points from its seconds. Empty when the
 * suite is not a stress test.
 */
export function stressPoints(runs: readonly RunResult[], slo: Slo | null): KneePoint[] {
  const withRate = runs.filter((r) => r.status !== 'failed' && (r.cell.rate !== undefined || r.load.model === 'open'))
  const byRate = new Map<number, KneePoint[]>()
  for (const r of withRate) {
    const rate = offeredRateOf(r)
    if (rate === null) continue
    const list = byRate.get(rate) ?? []
    list.push(kneePointFromRun(r, slo))
    byRate.set(rate, list)
  }
  if (byRate.size >= 2) {
    return [...byRate.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([rate, pts]) => {
        const avg = (f: (p: KneePoint) => number) => pts.reduce((s, p) => s + f(p), 0) / pts.length
        const base = { offeredRps: rate, achievedRps: avg((p) => p.achievedRps), latency: avg((p) => p.latency), errorRate: avg((p) => p.errorRate) }
        return { ...base, sloOk: pointMeetsSlo(base, slo) }
      })
  }
  const ramps = runs.filter((r) => r.load.model === 'open' && (r.load.stages?.length ?? 0) > 0)
  if (ramps.length === 1) return kneePointsFromRamp(ramps[0]!, slo)
  return []
}

function fmtRate(x: number): string {
  return `${Math.round(x).toLocaleString('en-US')} req/s`
}

function failureReasons(p: KneePoint, slo: Slo | null): string[] {
  const reasons: string[] = []
  if (slo && p.latency >= slo.latency.belowMs) reasons.push(`${slo.latency.stat} reaches ${p.latency.toFixed(1)} ms (SLO < ${slo.latency.belowMs} ms)`)
  const maxErr = slo ? slo.maxErrorRate : DEFAULT_MAX_ERROR_RATE
  if (p.errorRate > maxErr) reasons.push(`errors reach ${(p.errorRate * 100).toFixed(2)}% (allowed ${+(maxErr * 100).toFixed(3)}%)`)
  if (p.offeredRps > 0 && p.achievedRps < FOLLOW_SHARE * p.offeredRps)
    reasons.push(`throughput stops following the offered load (${fmtRate(p.achievedRps)} achieved)`)
  return reasons
}

/** The knee of a stress curve with the evidence sentence. */
export function findKnee(pointsIn: readonly KneePoint[], slo: Slo | null): KneeResult {
  const points = [...pointsIn].sort((a, b) => a.offeredRps - b.offeredRps).map((p) => ({ ...p, sloOk: pointMeetsSlo(p, slo) }))
  const text = sloText(slo)
  if (points.length === 0) return { maxSustainableRps: null, points, evidence: 'no stress points were measured', sloText: text }
  let lastOk = -1
  while (lastOk + 1 < points.length && points[lastOk + 1]!.sloOk) lastOk++
  const stat = slo?.latency.stat ?? 'p95'
  // Where latency turns up: the first point whose latency is at least twice the lowest-load latency.
  const floor = points[0]!.latency
  const turn = floor > 0 ? points.find((p) => p.latency >= 2 * floor) : undefined
  const turnText =
    turn && (lastOk < 0 || turn.offeredRps <= points[Math.min(points.length - 1, lastOk + 1)]!.offeredRps)
      ? `; ${stat} latency turns up (2× its low-load ${floor.toFixed(1)} ms) at ${fmtRate(turn.offeredRps)} offered`
      : ''
  if (lastOk === points.length - 1) {
    return {
      maxSustainableRps: points[lastOk]!.offeredRps,
      points,
      evidence: `the SLO held at every offered rate up to ${fmtRate(points[lastOk]!.offeredRps)}, the highest tested; the knee lies beyond the tested range${turnText}`,
      sloText: text,
    }
  }
  const fail = points[lastOk + 1]!
  const reasons = failureReasons(fail, slo).join(', ') || 'the SLO fails'
  if (lastOk < 0) {
    return {
      maxSustainableRps: null,
      points,
      evidence: `the SLO fails already at the lowest offered rate, ${fmtRate(fail.offeredRps)}: ${reasons}`,
      sloText: text,
    }
  }
  return {
    maxSustainableRps: points[lastOk]!.offeredRps,
    points,
    evidence: `the SLO holds up to ${fmtRate(points[lastOk]!.offeredRps)}; at ${fmtRate(fail.offeredRps)} ${reasons}${turnText}`,
    sloText: text,
  }
}

/**
 * Whether a ramp is past its knee, so the runner may stop early: the last two points (in the
 * order measured) both fail the SLO, or the last point achieved less than half of what it offered
 * (collapse: waiting for a second failing step would only add overload).
 */
export function isPastKnee(points: readonly KneePoint[], slo: Slo | null): boolean {
  const last = points.at(-1)
  if (last === undefined) return false
  if (last.offeredRps > 0 && last.achievedRps < 0.5 * last.offeredRps) return true
  const beforeLast = points.at(-2)
  return beforeLast !== undefined && !pointMeetsSlo(last, slo) && !pointMeetsSlo(beforeLast, slo)
}
