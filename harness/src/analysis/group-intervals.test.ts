import { describe, expect, it } from 'vitest'
import { makeRunResult } from '../../test/fixtures/suite-fixtures.js'
import { ANALYSIS_METRIC_DEFINITIONS } from './analysis-metrics.js'
import { cellMetricInterval } from './group-intervals.js'

describe('cellMetricInterval over few repetitions', () => {
  it('never reports a negative latency or a hit rate above 100%, however wide the interval', () => {
    // Two repetitions far apart: a symmetric t-interval (t = 12.7 for one degree of freedom)
    // would reach far below 0 ms and far above 100%.
    const runs = [
      makeRunResult({ cell: { cache: 'lru' }, repetition: 1, medianMs: 2, cacheHitRate: 0.95, seed: 1 }),
      makeRunResult({ cell: { cache: 'lru' }, repetition: 2, medianMs: 40, cacheHitRate: 0.55, seed: 2 }),
    ]
    const p50 = cellMetricInterval(ANALYSIS_METRIC_DEFINITIONS.p50, runs)!
    expect(p50.lo).toBe(0)
    expect(p50.hi).toBeGreaterThan(40)
    const hit = cellMetricInterval(ANALYSIS_METRIC_DEFINITIONS.cache_hit_rate, runs)!
    expect(hit.hi).toBe(1)
    expect(hit.lo).toBeGreaterThanOrEqual(0)
    expect(hit.estimate).toBeCloseTo(0.75, 2)
  })
})
