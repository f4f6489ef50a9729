import { describe, expect, it } from 'vitest'
import { makeSuiteResult, type RunSpec } from '../../test/fixtures/suite-fixtures.js'
import { analyzeSuite } from '../analysis/analyze-suite.js'
import { uslThroughput } from '../analysis/usl-fit.js'
import type { SuiteResult } from '../results/results-schema.js'
import { evaluateGates } from './evaluate-gates.js'
import { decideVerdict } from './verdict.js'

function finish(suite: SuiteResult, opts: Parameters<typeof analyzeSuite>[1] = {}, baseline?: SuiteResult): SuiteResult {
  suite.analysis = analyzeSuite(suite, opts)
  suite.gates = evaluateGates(suite, baseline ? { baseline: { source: baseline, tolerance: 0.05, file: 'old.json' } } : {})
  suite.verdict = decideVerdict(suite)
  return suite
}

const reps = (spec: RunSpec, seed: number): RunSpec[] => [1, 2, 3].map((repetition) => ({ ...spec, repetition, seed: seed + repetition }))

describe('decideVerdict', () => {
  it('states the winner with its interval and the gates in one sentence', () => {
    const suite = finish(
      makeSuiteResult({
        thresholds: { http_req_duration: ['p(95)<100'], http_req_failed: ['rate<0.01'] },
        runs: [...reps({ cell: { cache: 'none' }, medianMs: 10 }, 0), ...reps({ cell: { cache: 'lru' }, medianMs: 6 }, 10)],
      }),
    )
    expect(suite.verdict.text).toMatch(/^cache=lru beats cache=none on (p95 latency|throughput) by \d+% \(95% CI \d+%–\d+%\); all 12 thresholds passed\.$/)
    expect(suite.verdict).toMatchObject({ passed: true, exitCode: 0 })
  })

  it('fails with 99 and names the threshold and its measured value', () => {
    const suite = finish(makeSuiteResult({ thresholds: { http_req_duration: ['p(95)<5'] }, runs: [{ medianMs: 10 }] }))
    expect(suite.verdict.exitCode).toBe(99)
    expect(suite.verdict.passed).toBe(false)
    expect(suite.verdict.text).toMatch(/1 of 1 threshold failed \(first: http_req_duration p\(95\)<5 on default #1: measured 2\d\.\d+\)/)
  })

  it('fails with 99 on a baseline regression and passes on noise, saying what the data rules out', () => {
    const two = (medianMs: number, seed: number) => makeSuiteResult({ runs: [1, 2].map((repetition) => ({ medianMs, seed: seed + repetition, repetition })) })
    const old = two(10, 0)
    const slower = finish(two(14, 10), {}, old)
    expect(slower.verdict.exitCode).toBe(99)
    expect(slower.verdict.text).toMatch(/regression against the baseline: p95 latency \+\d+% \(95% CI \+\d+% to \+\d+%\): regression beyond the 5% tolerance/)
    const same = finish(two(10, 20), {}, old)
    expect(same.verdict.exitCode).toBe(0)
    expect(same.verdict.text).toMatch(
      /(no regression beyond the 5% tolerance against the baseline|no regression proven against the baseline, but \d of 4 checks cannot tell)/,
    )
    expect(same.verdict.text).not.toMatch(/no significant regression/)
  })

  it('says the baseline gate cannot tell with one run a side, and still passes', () => {
    const old = makeSuiteResult({ runs: [{ medianMs: 10, seed: 1 }] })
    const slower = finish(makeSuiteResult({ runs: [{ medianMs: 14, seed: 2 }] }), {}, old)
    expect(slower.verdict.exitCode).toBe(0)
    expect(slower.verdict.text).toMatch(
      /the baseline gate cannot tell \(1 run each, no interval\): repeat the runs, or give --baseline a folder of earlier results/,
    )
  })

  it('leads with throughput for a closed-model comparison and with latency for an open one', () => {
    const cells = (load: 'closed' | 'open') =>
      makeSuiteResult({
        runs: [
          ...reps({ cell: { cache: 'none' }, rps: 100, medianMs: 20, ...(load === 'open' ? { offeredRate: 100 } : {}) }, 0),
          ...reps({ cell: { cache: 'lru' }, rps: 200, medianMs: 10, ...(load === 'open' ? { offeredRate: 100 } : {}) }, 10),
        ],
      })
    expect(finish(cells('closed')).verdict.text).toMatch(/^cache=lru beats cache=none on throughput by \d+% \(95% CI \d+%–\d+%\)/)
    expect(finish(cells('open')).verdict.text).toMatch(/^cache=lru beats cache=none on p95 latency/)
  })

  it('states the capacity plan', () => {
    const truth = { sigma: 0.05, kappa: 0.005, lambda: 900 }
    const suite = finish(
      makeSuiteResult({ kind: 'scale-out', runs: [1, 2, 3, 4, 6].map((n) => ({ cell: { replicas: n }, rps: uslThroughput(truth, n), seed: n, noise: 0.01 })) }),
      { targetRps: 2000, headroom: 0.3 },
    )
    expect(suite.verdict.text).toMatch(/\d replicas serve 2,000 req\/s with 30% headroom/)
  })

  it('exits 1 when a run failed without any gate failing', () => {
    const suite = makeSuiteResult({ runs: [{ status: 'failed' }] })
    suite.runs[0]!.error = 'replica 2 did not start'
    finish(suite)
    expect(suite.verdict.exitCode).toBe(1)
    expect(suite.verdict.text).toMatch(/1 run failed \(default #1: replica 2 did not start\)/)
  })

  it('says the data cannot tell, not "no difference", when one short run per configuration gives no interval', () => {
    const suite = makeSuiteResult({
      runs: [
        { cell: { cache: 'none' }, rps: 140, durationS: 3, seed: 1 },
        { cell: { cache: 'lru' }, rps: 320, durationS: 3, seed: 2 },
      ],
    })
    suite.analysis = analyzeSuite(suite)
    suite.gates = evaluateGates(suite)
    const v = decideVerdict(suite)
    expect(v.text).toMatch(
      /^cannot tell whether cache=none and cache=lru differ \(1 run each, no interval; cache=lru vs cache=none throughput \+1\d\d%\): repeat the runs/,
    )
    expect(v.text).not.toMatch(/no significant difference/)
  })
})
