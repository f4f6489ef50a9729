import { describe, expect, it } from 'vitest'
import { makeRunResult, type RunSpec } from '../../test/fixtures/suite-fixtures.js'
import type { RunResult } from '../results/results-schema.js'
import { ANALYSIS_METRIC_DEFINITIONS } from './analysis-metrics.js'
import { cellMetricInterval, compareGroups } from './group-intervals.js'
import { studentTCritical } from './student-t.js'
import { observeRuns, varianceComponents } from './variance-components.js'

const p95 = ANALYSIS_METRIC_DEFINITIONS.p95
const rps = ANALYSIS_METRIC_DEFINITIONS.rps

function runs(n: number, seed: number, spec: RunSpec = {}): RunResult[] {
  return Array.from({ length: n }, (_, i) => makeRunResult({ durationS: 20, rps: 300, samplesPerSecond: 40, ...spec, repetition: i + 1, seed: seed + i }))
}

/** Half-width of the classic t interval over run means only (pooled, n_a + n_b − 2 df), on the log scale. */
function repetitionsOnlyHalfWidth(a: RunResult[], b: RunResult[]): number {
  const la = a.map((r) => Math.log(r.metrics.http_req_duration.p95))
  const lb = b.map((r) => Math.log(r.metrics.http_req_duration.p95))
  const m = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length
  const ss = (xs: number[]) => xs.reduce((s, v) => s + (v - m(xs)) ** 2, 0)
  const df = la.length + lb.length - 2
  return studentTCritical(0.05, df) * Math.sqrt(((ss(la) + ss(lb)) / df) * (1 / la.length + 1 / lb.length))
}

describe('random-effects intervals', () => {
  it('give 2 runs a side of 20 s a useful interval: narrower than repetitions alone when runs agree, and still honest', () => {
    let ours = 0
    let repetitionsOnly = 0
    let excludesZero = 0
    let fromBatches = 0
    const trials = 40
    for (let s = 0; s < trials; s++) {
      const a = runs(2, 1000 + 10 * s)
      const b = runs(2, 5000 + 10 * s)
      const d = compareGroups(p95, a, b)!
      if (d.lo > 0 || d.hi < 0) excludesZero++
      if (/within-run batches set the interval/.test(d.method)) fromBatches++
      ours += Math.log1p(d.hi) - Math.log1p(d.estimate)
      repetitionsOnly += repetitionsOnlyHalfWidth(a, b)
    }
    // Identical configurations: about 5% of intervals may exclude 0 (nominal), not many more.
    expect(excludesZero / trials).toBeLessThanOrEqual(0.1)
    // When runs agree as their own noise predicts, the batches (6 df) set the interval instead of
    // 2 df over run means; it is never wider than that on average. (The big gain needs an
    // estimate of run-to-run spread from elsewhere: a baseline folder, see gates/baseline.ts.)
    expect(fromBatches / trials).toBeGreaterThan(0.3)
    expect(ours / repetitionsOnly).toBeLessThan(0.97)
  })

  it('falls back to the spread between runs when they differ more than their own noise explains', () => {
    const a = [...runs(1, 1), ...runs(1, 2, { medianMs: 14 })]
    const b = runs(2, 3)
    const d = compareGroups(p95, a, b)!
    expect(d.method).toMatch(/runs differ more than their own noise explains .* spread between runs sets the interval \(2 df/)
    expect(d.df).toBe(2)
  })

  it('says "1 run each, no interval" instead of a zero-width or within-run-only comparison', () => {
    const d = compareGroups(p95, runs(1, 1), runs(1, 2, { medianMs: 20 }))!
    expect(d.noInterval).toBe('1 run each, no interval')
    expect(d.lo).toBe(d.estimate)
    expect(d.hi).toBe(d.estimate)
    expect(d.estimate).toBeGreaterThan(0.5)
  })

  it('measures within-run noise around the time profile repetitions share, not around each run mean', () => {
    // Both runs slow down in the same seconds (the same request sequence hits the same burst):
    // that profile is not noise between runs.
    const withProfile = runs(2, 7).map((r) => ({ ...r, timeSeries: r.timeSeries.map((p) => (p.elapsedS < 10 ? { ...p, p95: p.p95 * 2 } : p)) }))
    const flat = runs(2, 7)
    const c = varianceComponents([observeRuns(p95, withProfile)])!
    const c0 = varianceComponents([observeRuns(p95, flat)])!
    expect(c.withinPerRun!).toBeLessThan(c0.withinPerRun! * 1.5)
    // A single run has no partner to share a profile with: its own mean is all there is.
    const single = varianceComponents([observeRuns(p95, withProfile.slice(0, 1))])!
    expect(single.withinPerRun!).toBeGreaterThan(c0.withinPerRun! * 3)
  })

  it('widens the within-run estimate for autocorrelated seconds', () => {
    const smooth = runs(3, 11, { autocorrelation: 0.9, noise: 0.08 })
    const c = varianceComponents([observeRuns(rps, smooth)])!
    expect(c.autocorrelation).toBeGreaterThan(0.3)
    const rough = runs(3, 11, { autocorrelation: 0, noise: 0.08 })
    expect(varianceComponents([observeRuns(rps, rough)])!.autocorrelation).toBeLessThan(0.3)
  })

  it('keeps a cell interval inside what the metric can be, and gives a share a binomial floor', () => {
    const two = [makeRunResult({ medianMs: 2, cacheHitRate: 0.95, seed: 1 }), makeRunResult({ medianMs: 40, cacheHitRate: 0.55, seed: 2, repetition: 2 })]
    const p50 = cellMetricInterval(ANALYSIS_METRIC_DEFINITIONS.p50, two)!
    expect(p50.lo).toBeGreaterThan(0)
    expect(p50.hi).toBeGreaterThan(40)
    const hit = cellMetricInterval(ANALYSIS_METRIC_DEFINITIONS.cache_hit_rate, two)!
    expect(hit.hi).toBeLessThanOrEqual(1)
    expect(hit.lo).toBeGreaterThanOrEqual(0)
    // No error in 2 × 9,000 requests is not proof of an error rate of exactly 0.
    const errors = cellMetricInterval(ANALYSIS_METRIC_DEFINITIONS.error_rate, runs(2, 21))!
    expect(errors.estimate).toBe(0)
    expect(errors.hi).toBeGreaterThan(0)
    expect(errors.noInterval).toBeUndefined()
  })
})
