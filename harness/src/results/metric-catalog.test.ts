import { describe, expect, it } from 'vitest'
import { makeRunResult } from '../../test/fixtures/suite-fixtures.js'
import { ANALYSIS_METRIC_DEFINITIONS, ANALYSIS_METRICS } from '../analysis/analysis-metrics.js'
import { evaluateParsedThresholds } from '../gates/evaluate-thresholds.js'
import { parseThresholds, ThresholdSyntaxError } from '../gates/threshold-expression.js'
import { THRESHOLD_METRICS } from '../gates/threshold-metrics.js'
import { metricInfo } from '../report/html/metric-names.js'
import { METRIC_CATALOG, METRIC_NAMES, STATS_BY_TYPE, type MetricType } from './metric-catalog.js'

// The catalog is the one list of a run's metrics: thresholds know a metric, its allowed stats
// and its value only through it. These tests walk the catalog rather than a copy of it, so a
// new entry is checked the moment it is added.

const EXAMPLE_STAT: Record<MetricType, string[]> = { trend: ['avg', 'min', 'med', 'max', 'p(95)', 'p(99.9)'], counter: ['count', 'rate'], rate: ['rate'] }

describe('the metric catalog', () => {
  it('is the list of metrics a threshold may name, with their k6 types', () => {
    expect(THRESHOLD_METRICS).toEqual(Object.fromEntries(METRIC_NAMES.map((n) => [n, METRIC_CATALOG[n].type])))
  })

  it('every stat its type allows gives a value on a run that measured everything', () => {
    const run = makeRunResult({ cacheHitRate: 0.8, errorRate: 0.01 })
    // A syncing run with response checks: the metrics only such runs have.
    run.metrics.sync_lag = { count: 10, min: 0, mean: 30, stdev: 5, p50: 25, p90: 60, p95: 75, p99: 120, p999: 120, max: 130 }
    run.metrics.sync_missing = { count: 0, checked: 40 }
    run.metrics.sync_duplicates = { count: 3 }
    run.metrics.checks = { rate: 0.99, passes: 99, fails: 1 }
    for (const name of METRIC_NAMES) {
      for (const stat of EXAMPLE_STAT[METRIC_CATALOG[name].type]) {
        const [outcome] = evaluateParsedThresholds(parseThresholds({ [name]: [`${stat}<1e12`] }), [run])
        expect(outcome?.value, `${name} ${stat}: ${outcome?.message}`).toEqual(expect.any(Number))
      }
    }
  })

  it('a stat the type does not allow is refused, naming the allowed ones', () => {
    for (const name of METRIC_NAMES) {
      const type = METRIC_CATALOG[name].type
      const wrong = type === 'trend' ? 'count<1' : 'avg<1'
      expect(() => parseThresholds({ [name]: [wrong] }), name).toThrow(ThresholdSyntaxError)
      expect(() => parseThresholds({ [name]: [wrong] }), name).toThrow(STATS_BY_TYPE[type].join(', '))
    }
  })

  it('a threshold reads the value the catalog reads from results.json', () => {
    const run = makeRunResult({ cacheHitRate: 0.8, errorRate: 0.05 })
    const value = (key: string, expression: string) => evaluateParsedThresholds(parseThresholds({ [key]: [expression] }), [run])[0]?.value
    expect(value('http_req_failed', 'rate<1')).toBe(run.metrics.http_req_failed.rate)
    expect(value('availability', 'rate<1')).toBe(run.metrics.availability.rate)
    expect(value('cache_hit_rate', 'rate<1')).toBe(run.metrics.cache_hit_rate?.rate)
    expect(value('http_req_duration', 'p(99)<1e9')).toBe(run.metrics.http_req_duration.p99)
    expect(value('http_reqs', 'count<1e9')).toBe(run.metrics.http_reqs.count)
    expect(value('http_req_duration{op:get_customer}', 'med<1e9')).toBe(run.perOperation.get_customer?.http_req_duration.p50)
  })

  it('a metric the run did not measure is an error that says why, never a pass', () => {
    const run = makeRunResult({})
    delete run.metrics.cache_hit_rate
    const [outcome] = evaluateParsedThresholds(parseThresholds({ cache_hit_rate: ['rate>0'] }), [run])
    expect(outcome).toMatchObject({ passed: false, value: null })
    expect(outcome?.message).toContain('cache_hit_rate was not measured')
    // A run without a downstream system or checks: the sync metrics and checks say so.
    const [lag, checks] = evaluateParsedThresholds(parseThresholds({ sync_lag: ['p(95)<1000'], checks: ['rate>0.99'] }), [makeRunResult({})])
    expect(lag).toMatchObject({ passed: false, value: null })
    expect(lag?.message).toContain('this run has no downstream')
    expect(checks).toMatchObject({ passed: false, value: null })
    expect(checks?.message).toContain('no checks were evaluated')
  })

  it('an unknown metric lists every metric of the catalog', () => {
    const [outcome] = evaluateParsedThresholds(parseThresholds({ http_req_durations: ['p(95)<1'] }), [makeRunResult({})])
    expect(outcome?.message).toContain(`available: ${METRIC_NAMES.join(', ')}`)
  })

  it('the analysis judges its figures in the direction of the run metric each summarizes', () => {
    for (const key of ANALYSIS_METRICS) {
      const def = ANALYSIS_METRIC_DEFINITIONS[key]
      expect(def.higherIsBetter, key).toBe(METRIC_CATALOG[def.of].higherIsBetter)
    }
    // What a user expects: more throughput and hits are better, more latency and errors worse.
    expect(ANALYSIS_METRICS.filter((k) => ANALYSIS_METRIC_DEFINITIONS[k].higherIsBetter)).toEqual(['rps', 'cache_hit_rate'])
  })

  it('the report words and direction of a metric come from the catalog', () => {
    expect(metricInfo('availability')).toMatchObject({ title: 'Availability', higherIsBetter: METRIC_CATALOG.availability.higherIsBetter, format: 'percent' })
  })
})
