import { describe, expect, it } from 'vitest'
import { evaluateGates } from '../gates/evaluate-gates.js'
import { makeSuiteResult } from '../../test/fixtures/suite-fixtures.js'
import { k6SummaryExport } from './k6-summary-export.js'

describe("k6's summary-export format", () => {
  const suite = makeSuiteResult({
    runs: [{ rps: 200, durationS: 10, errorRate: 0.1, medianMs: 20 }],
    thresholds: { http_req_duration: ['p(95)<100000', 'p(95)<0.001'], http_req_failed: ['rate<0.5'] },
  })
  suite.gates = evaluateGates(suite, {})
  const out = k6SummaryExport(suite)
  const run = suite.runs[0]!

  it("has k6's metric names and value keys", () => {
    expect(Object.keys(out.metrics.http_req_duration!).sort()).toEqual(['avg', 'max', 'med', 'min', 'p(90)', 'p(95)', 'thresholds'])
    expect(out.metrics.http_reqs).toEqual({ count: run.metrics.http_reqs.count, rate: run.metrics.http_reqs.count / run.durationS })
    expect(out.metrics.http_req_duration!.med).toBeCloseTo(run.metrics.http_req_duration.p50, 0)
    expect(out.root_group).toMatchObject({ name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e' })
  })

  it('counts a failed request as a "pass" of http_req_failed, as k6 rate metrics do', () => {
    expect(out.metrics.http_req_failed).toMatchObject({
      passes: run.metrics.http_req_failed.fails,
      fails: run.metrics.http_req_failed.passes,
      value: run.metrics.http_req_failed.rate,
    })
    expect(run.metrics.http_req_failed.fails).toBeGreaterThan(0)
  })

  it("flags a FAILED threshold true and a passed one false (k6's quirk, kept for its readers)", () => {
    expect(out.metrics.http_req_duration!.thresholds).toEqual({ 'p(95)<100000': false, 'p(95)<0.001': true })
    expect(out.metrics.http_req_failed!.thresholds).toEqual({ 'rate<0.5': false })
  })
})
