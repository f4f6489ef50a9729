import { describe, expect, it } from 'vitest'
import type { KneePoint, Slo } from '../results/results-schema.js'
import { makeRunResult } from '../../test/fixtures/suite-fixtures.js'
import { findKnee, isPastKnee, kneePointFromRun, kneePointsFromRamp, stressPoints } from './knee.js'

const slo: Slo = { latency: { stat: 'p95', belowMs: 200 }, maxErrorRate: 0.01 }

/** A queueing-like curve: capacity 1000 req/s, latency grows as 1/(1-ρ), errors and drops beyond. */
function curve(rates: number[]): KneePoint[] {
  return rates.map((offered) => {
    const rho = offered / 1000
    const achieved = Math.min(offered, 1000 * (rho > 1 ? 1 / rho ** 0.5 : 1))
    const latency = rho < 1 ? 20 / (1 - rho) : 5000
    const errorRate = rho > 1 ? 0.2 : 0
    return { offeredRps: offered, achievedRps: achieved, latency, errorRate, sloOk: true }
  })
}

describe('findKnee', () => {
  it('finds the highest offered rate meeting the SLO, with the evidence', () => {
    const knee = findKnee(curve([200, 400, 600, 800, 850, 900, 950, 1100]), slo)
    // 20/(1-0.85) = 133 ms ok; 20/(1-0.9) = 200 ms is not < 200 ms.
    expect(knee.maxSustainableRps).toBe(850)
    expect(knee.evidence).toMatch(/the SLO holds up to 850 req\/s; at 900 req\/s p95 reaches 200.0 ms \(SLO < 200 ms\)/)
    expect(knee.evidence).toMatch(/p95 latency turns up \(2× its low-load 25.0 ms\) at 600 req\/s offered/)
    expect(knee.sloText).toBe('p95 < 200 ms, errors ≤ 1% and achieved ≥ 90% of offered')
    expect(knee.points.map((p) => p.sloOk)).toEqual([true, true, true, true, true, false, false, false])
  })

  it('requires every lower rate to hold: a lucky point above a failure is not capacity', () => {
    const pts = curve([100, 200, 300])
    pts[1] = { ...pts[1]!, errorRate: 0.05 }
    const knee = findKnee(pts, slo)
    expect(knee.maxSustainableRps).toBe(100)
    expect(knee.evidence).toMatch(/at 200 req\/s errors reach 5.00%/)
  })

  it('names throughput that stops following the offered load', () => {
    const pts: KneePoint[] = [
      { offeredRps: 500, achievedRps: 500, latency: 30, errorRate: 0, sloOk: true },
      { offeredRps: 1000, achievedRps: 700, latency: 40, errorRate: 0, sloOk: true },
    ]
    const knee = findKnee(pts, slo)
    expect(knee.maxSustainableRps).toBe(500)
    expect(knee.evidence).toMatch(/throughput stops following the offered load \(700 req\/s achieved\)/)
  })

  it('says when the SLO holds everywhere or nowhere', () => {
    expect(findKnee(curve([100, 200]), slo).evidence).toMatch(/knee lies beyond the tested range/)
    const none = findKnee(curve([1200, 1500]), slo)
    expect(none.maxSustainableRps).toBeNull()
    expect(none.evidence).toMatch(/fails already at the lowest offered rate, 1,200 req\/s/)
  })
})

describe('isPastKnee', () => {
  it('stops after two failing steps, or at once on collapse, and not before', () => {
    const pts = curve([200, 400, 600, 800, 900, 950])
    expect(isPastKnee(pts.slice(0, 4), slo)).toBe(false)
    expect(isPastKnee(pts.slice(0, 5), slo)).toBe(false)
    expect(isPastKnee(pts.slice(0, 6), slo)).toBe(true)
    expect(isPastKnee([{ offeredRps: 2000, achievedRps: 600, latency: 10, errorRate: 0, sloOk: true }], slo)).toBe(true)
    expect(isPastKnee([], slo)).toBe(false)
  })
})

describe('knee points from runs', () => {
  it('builds one point per offered rate from stress runs', () => {
    const runs = [300, 600, 900].map((rate, i) =>
      makeRunResult({ cell: { rate }, offeredRate: rate, rps: Math.min(rate, 700), medianMs: rate > 700 ? 300 : 20, seed: i + 1 }),
    )
    const pts = stressPoints(runs, slo)
    expect(pts.map((p) => p.offeredRps)).toEqual([300, 600, 900])
    expect(pts.map((p) => p.sloOk)).toEqual([true, true, false])
    expect(kneePointFromRun(runs[0]!, slo).latency).toBe(runs[0]!.metrics.http_req_duration.p95)
  })

  it('cuts a single ramping run into steps of equal offered rate', () => {
    const run = makeRunResult({ durationS: 20, rps: 100, seed: 4 })
    run.load = { model: 'open', stages: [{ durationS: 20, target: 400 }], maxInFlight: 100 }
    run.timeSeries.forEach((p, i) => {
      p.offeredRate = 100 * (1 + Math.floor(i / 5))
    })
    const pts = kneePointsFromRamp(run, slo)
    expect(pts.map((p) => p.offeredRps)).toEqual([100, 200, 300, 400])
    expect(stressPoints([run], slo)).toHaveLength(4)
    // The system kept serving ~100 req/s: from 200 req/s offered on, it no longer follows.
    expect(pts.map((p) => p.sloOk)).toEqual([true, false, false, false])
  })
})
