import * as hdr from 'hdr-histogram-js'
import { describe, expect, it } from 'vitest'
import { checkLittlesLaw } from '../src/analysis/littles-law.js'
import { exampleSuiteSpecs, makeAnalyzedSuite, makeRunResult, makeSuiteResult } from './fixtures/suite-fixtures.js'

// The shared fixtures are used by other helpers' tests: they must stay realistic and consistent.
describe('suite fixtures', () => {
  it('make runs whose summary, histogram, time series and counts agree', () => {
    const run = makeRunResult({ rps: 400, medianMs: 20, errorRate: 0.02, durationS: 20, seed: 5 })
    const h = hdr.decodeFromCompressedBase64(run.histogram, 32, false)
    expect(h.getValueAtPercentile(95) / 1000).toBeCloseTo(run.metrics.http_req_duration.p95, 6)
    expect(run.timeSeries).toHaveLength(20)
    expect(run.timeSeries.reduce((s, p) => s + p.reqs, 0)).toBe(run.metrics.http_reqs.count)
    expect(run.metrics.http_reqs.rate).toBeGreaterThan(360)
    expect(run.metrics.http_reqs.rate).toBeLessThan(440)
    expect(run.metrics.http_req_failed.rate).toBeGreaterThan(0.01)
    expect(run.metrics.http_req_duration.p50).toBeGreaterThan(17)
    expect(run.metrics.http_req_duration.p50).toBeLessThan(23)
    expect(checkLittlesLaw(run)?.ok).toBe(true)
    expect(makeRunResult({ seed: 5 })).toEqual(makeRunResult({ seed: 5 }))
    expect(makeSuiteResult().runs[0]!.id).toBe('default #1')
  })

  it('give analysed example suites with every section a report draws', async () => {
    const cmp = await makeAnalyzedSuite(exampleSuiteSpecs.cacheComparison())
    expect(cmp.analysis!.comparisons.some((c) => c.significant)).toBe(true)
    expect(cmp.analysis!.caches!.length).toBe(2)
    expect(cmp.verdict.exitCode).toBe(0)
    const stress = await makeAnalyzedSuite(exampleSuiteSpecs.stress())
    expect(stress.analysis!.knee!.maxSustainableRps).toBe(800)
    const scale = await makeAnalyzedSuite(exampleSuiteSpecs.scaleOut(), { targetRps: 3000, headroom: 0.3 })
    expect(scale.analysis!.scalability!.nStar).toBeGreaterThan(8)
    expect(scale.analysis!.capacityPlan!.replicas).toBeGreaterThan(4)
  })
})
