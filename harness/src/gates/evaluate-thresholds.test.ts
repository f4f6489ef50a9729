import { describe, expect, it } from 'vitest'
import { makeRunResult, makeSuiteResult } from '../../test/fixtures/suite-fixtures.js'
import { evaluateThresholds } from './evaluate-thresholds.js'
import { checkAbortOnFail, liveReaderFromSnapshot } from './check-abort-on-fail.js'
import { parseThresholds } from './threshold-expression.js'

function suiteWith(thresholds: Record<string, string[]>) {
  return makeSuiteResult({
    thresholds,
    runs: [
      { cell: { cache: 'none' }, medianMs: 10, seed: 1 },
      { cell: { cache: 'lru' }, medianMs: 5, seed: 2, cacheHitRate: 0.9, errorRate: 0.02 },
    ],
  })
}

describe('evaluateThresholds', () => {
  it('gives one outcome per threshold per run with the measured value', () => {
    const suite = suiteWith({ http_req_duration: ['p(95)<18'] })
    const out = evaluateThresholds(suite)
    expect(out.map((o) => o.runId)).toEqual(['cache=none #1', 'cache=lru #1'])
    // none: median 10 ms, sigma 0.5 -> p95 ≈ 22.8 ms (fails); lru: median 5 -> ≈ 11.4 ms (passes)
    expect(out[0]).toMatchObject({ passed: false, metric: 'http_req_duration', expression: 'p(95)<18' })
    expect(out[0]!.value).toBeGreaterThan(18)
    expect(out[0]!.message).toMatch(/failed on cache=none #1: measured p\(95\) = \d+\.\d+ ms/)
    expect(out[1]!.passed).toBe(true)
    expect(out[1]!.value).toBe(suite.runs[1]!.metrics.http_req_duration.p95)
  })

  it('reads arbitrary percentiles from the HDR histogram', () => {
    const suite = suiteWith({ http_req_duration: ['p(97.5)<1000', 'p(95)<1000'] })
    const out = evaluateThresholds(suite)
    const p975 = out.find((o) => o.expression === 'p(97.5)<1000' && o.runId === 'cache=none #1')!
    const p95 = out.find((o) => o.expression === 'p(95)<1000' && o.runId === 'cache=none #1')!
    expect(p975.value).toBeGreaterThan(p95.value!)
    expect(p975.value).toBeLessThan(suite.runs[0]!.metrics.http_req_duration.p99)
  })

  it('selects per-operation sub-metrics and scopes by matrix key', () => {
    const suite = suiteWith({
      'http_req_duration{op:get_customer}': ['p(95)<100'],
      'cache_hit_rate{cache:lru}': ['rate>0.8'],
      'http_req_failed{cache:lru}': ['rate<0.01'],
    })
    const out = evaluateThresholds(suite)
    expect(out.filter((o) => o.metric.startsWith('http_req_duration'))).toHaveLength(2)
    const hit = out.filter((o) => o.metric.startsWith('cache_hit_rate'))
    expect(hit).toEqual([expect.objectContaining({ runId: 'cache=lru #1', value: 0.9, passed: true })])
    const failed = out.find((o) => o.metric === 'http_req_failed{cache:lru}')!
    expect(failed.passed).toBe(false)
    expect(failed.value).toBeGreaterThan(0.01)
  })

  it('never passes a threshold on a metric, op, tag or percentile that does not exist', () => {
    const suite = suiteWith({
      http_req_latency: ['p(95)<100'],
      'http_req_duration{op:delete_everything}': ['p(95)<100'],
      'http_req_duration{op:customer_360}': ['p(95)<100'],
      'http_req_duration{colour:blue}': ['p(95)<100'],
      'http_req_duration{op:get_customer}': ['p(97)<100'],
      'http_req_duration{cache:lfu}': ['p(95)<100'],
      cache_hit_rate: ['rate>0'],
    })
    const out = evaluateThresholds(suite)
    expect(out.length).toBeGreaterThan(0)
    for (const o of out.filter((x) => x.metric !== 'cache_hit_rate' || x.runId === 'cache=none #1')) {
      expect(o.passed, `${o.metric} ${o.expression} ${o.runId}`).toBe(false)
      expect(o.value).toBeNull()
    }
    const msg = (metric: string) => out.find((o) => o.metric === metric)!.message
    expect(msg('http_req_latency')).toMatch(/no such metric "http_req_latency"; available: http_reqs, http_req_duration/)
    expect(msg('http_req_duration{op:delete_everything}')).toMatch(/unknown op "delete_everything"; operations: get_customer/)
    expect(msg('http_req_duration{op:customer_360}')).toMatch(/sent no customer_360 requests/)
    expect(msg('http_req_duration{colour:blue}')).toMatch(/unknown tag "colour"/)
    expect(msg('http_req_duration{op:get_customer}')).toMatch(/p\(97\) is not recorded/)
    expect(msg('http_req_duration{cache:lfu}')).toMatch(/no run matches/)
    expect(out.find((o) => o.metric === 'cache_hit_rate' && o.runId === 'cache=none #1')!.message).toMatch(/not measured in this run/)
  })

  it('turns a syntax error stored in a results file into a failed outcome instead of throwing', () => {
    const out = evaluateThresholds(suiteWith({ http_req_duration: ['p95<1'] }))
    expect(out).toEqual([expect.objectContaining({ passed: false, value: null, message: expect.stringContaining('not a threshold expression') })])
  })

  it('counts requests by status, backend and shard, and treats lost_writes of a read-only run as 0', () => {
    const run = makeRunResult({ errorRate: 0.1, seed: 3 })
    const suite = makeSuiteResult({
      runs: [run],
      thresholds: {
        'http_reqs{status:503}': ['count>0'],
        'http_reqs{shard:0}': ['count>0'],
        'http_reqs{backend:http://127.0.0.1:9999}': ['count>0'],
        lost_writes: ['count==0'],
      },
    })
    const out = evaluateThresholds(suite)
    expect(out[0]).toMatchObject({ passed: true, value: run.metrics.status_counts['503'] })
    expect(out[1]).toMatchObject({ passed: true, value: run.sut.shards['0'] })
    expect(out[2]).toMatchObject({ passed: false, value: null })
    expect(out[3]).toMatchObject({ passed: true, value: 0, message: expect.stringContaining('no writes') })
  })
})

describe('thresholds on availability, stale_reads and dropped_iterations', () => {
  // One run with known values: 10% of requests failed, 7 stale reads, 40 dropped arrivals over 20 s.
  const run = makeRunResult({ errorRate: 0.1, staleReads: 7, durationS: 20, seed: 4 })
  run.metrics.dropped_iterations = { count: 40, rate: 2 }
  const judge = (thresholds: Record<string, string[]>) => evaluateThresholds(makeSuiteResult({ runs: [run], thresholds }))

  it('judges availability (the share of successful requests) as a rate', () => {
    const availability = run.metrics.availability.rate
    expect(availability).toBeCloseTo(1 - run.metrics.http_req_failed.rate, 12)
    expect(judge({ availability: ['rate>0.8', 'rate>0.95'] }).map((o) => [o.expression, o.value, o.passed])).toEqual([
      ['rate>0.8', availability, true],
      ['rate>0.95', availability, false],
    ])
    expect(judge({ availability: ['count>1'] })[0]).toMatchObject({
      passed: false,
      value: null,
      message: expect.stringMatching(/availability is a rate metric; allowed: rate/),
    })
  })

  it('judges stale_reads as a counter', () => {
    expect(judge({ stale_reads: ['count==0', 'count<10', 'rate<0.5'] }).map((o) => [o.expression, o.value, o.passed])).toEqual([
      ['count==0', 7, false],
      ['count<10', 7, true],
      ['rate<0.5', 7 / run.durationS, true],
    ])
    expect(judge({ stale_reads: ['count==0'] })[0]!.message).toMatch(/stale_reads count==0 failed on default #1: measured count = 7/)
  })

  it('judges dropped_iterations as a counter, its rate per second as k6 does', () => {
    expect(judge({ dropped_iterations: ['count<50', 'count==0', 'rate<1'] }).map((o) => [o.expression, o.value, o.passed])).toEqual([
      ['count<50', 40, true],
      ['count==0', 40, false],
      ['rate<1', 2, false],
    ])
  })
})

describe('checkAbortOnFail', () => {
  it('stops only for abortOnFail thresholds that fail after their delay', () => {
    const parsed = parseThresholds({ http_req_duration: [{ threshold: 'p(95)<50', abortOnFail: true, delayAbortEval: '10s' }, 'p(95)<10'] })
    const read = liveReaderFromSnapshot({ rps: 100, p95: 80, errors: 0, dropped: 0 })
    expect(checkAbortOnFail(parsed, 5, read)).toBeNull()
    const decision = checkAbortOnFail(parsed, 12, read)
    expect(decision?.message).toMatch(/p\(95\)<50 failed at 12 s \(abortOnFail\): measured p\(95\) = 80/)
    expect(checkAbortOnFail(parsed, 12, liveReaderFromSnapshot({ rps: 100, p95: 20, errors: 0, dropped: 0 }))).toBeNull()
  })
})

describe('evaluateThresholds and failed runs', () => {
  it('skips runs that failed before measuring anything (they exit 1, not 99)', () => {
    const suite = makeSuiteResult({
      thresholds: { http_req_duration: ['p(95)<1000'] },
      runs: [{ seed: 1 }, { cell: { x: 1 }, status: 'failed', rps: 0, seed: 2 }],
    })
    expect(suite.runs[1]!.metrics.http_reqs.count).toBe(0)
    expect(evaluateThresholds(suite).map((o) => o.runId)).toEqual(['default #1'])
  })
})
