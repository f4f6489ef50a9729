import { describe, expect, it } from 'vitest'
import { makeSuiteResult, type RunSpec } from '../../test/fixtures/suite-fixtures.js'
import { compareToBaseline } from './baseline.js'

const base: RunSpec = { cell: { cache: 'lru' }, rps: 400, medianMs: 12, durationS: 30, noise: 0.06, autocorrelation: 0.6 }

function suite(seed: number, over: Partial<RunSpec> = {}, reps = 1) {
  return makeSuiteResult({ runs: Array.from({ length: reps }, (_, i) => ({ ...base, ...over, repetition: i + 1, seed: seed * 100 + i })) })
}

describe('compareToBaseline', () => {
  it('finds no regression between runs of the same configuration (noise alone never fails a build)', () => {
    let regressions = 0
    let significant = 0
    let changes = 0
    const seeds = 60
    for (let s = 1; s <= seeds; s++) {
      const gate = compareToBaseline(suite(s), suite(s + 1000), { tolerance: 0.05 })
      expect(gate.changes.map((c) => c.metric)).toEqual(['rps', 'p95', 'p99', 'error_rate'])
      regressions += gate.changes.filter((c) => c.regression).length
      significant += gate.changes.filter((c) => c.significant).length
      changes += gate.changes.length
    }
    expect(regressions).toBe(0)
    // Intervals are honest: on identical configurations about 5% of them exclude zero (nominal).
    expect(significant / changes).toBeLessThan(0.1)
  })

  it('finds a real 30% slowdown: a significant p95 regression beyond tolerance that fails the gate', () => {
    const gate = compareToBaseline(suite(1, { medianMs: 12 * 1.3 }), suite(2), { tolerance: 0.05, file: 'old/results.json' })
    const p95 = gate.changes.find((c) => c.metric === 'p95')!
    expect(p95.relChange).toBeGreaterThan(0.2)
    expect(p95.relChange).toBeLessThan(0.4)
    expect(p95.ci[0]).toBeGreaterThan(0.05)
    expect(p95).toMatchObject({ significant: true, regression: true, cellLabel: 'cache=lru' })
    expect(gate.passed).toBe(false)
    expect(gate.file).toBe('old/results.json')
    // Throughput did not change: no regression there.
    expect(gate.changes.find((c) => c.metric === 'rps')!.regression).toBe(false)
  })

  it('reports an improvement as significant but not a regression, and a within-tolerance slowdown passes', () => {
    const faster = compareToBaseline(suite(1, { medianMs: 8 }), suite(2), { tolerance: 0.05 })
    expect(faster.changes.find((c) => c.metric === 'p95')).toMatchObject({ significant: true, regression: false })
    expect(faster.passed).toBe(true)
    const slightly = compareToBaseline(suite(3, { medianMs: 12 * 1.3 }), suite(4), { tolerance: 0.5 })
    expect(slightly.passed).toBe(true)
  })

  it('uses repetitions when both sides have them, and says so', () => {
    const gate = compareToBaseline(suite(5, { rps: 300 }, 3), suite(6, {}, 3), { tolerance: 0.05 })
    const rps = gate.changes.find((c) => c.metric === 'rps')!
    expect(rps.relChange).toBeLessThan(-0.2)
    expect(rps.regression).toBe(true)
    const same = compareToBaseline(suite(7, {}, 3), suite(8, {}, 3), { tolerance: 0.05 })
    expect(same.passed).toBe(true)
  })

  it('switches to a seeded bootstrap over repetitions from 10 per side', async () => {
    const { compareGroups } = await import('../analysis/group-intervals.js')
    const { ANALYSIS_METRIC_DEFINITIONS } = await import('../analysis/analysis-metrics.js')
    const a = suite(11, { durationS: 10, samplesPerSecond: 20 }, 10).runs
    const b = suite(12, { durationS: 10, samplesPerSecond: 20, medianMs: 15 }, 10).runs
    const d = compareGroups(ANALYSIS_METRIC_DEFINITIONS.p95, a, b)!
    expect(d.method).toMatch(/percentile bootstrap over repetitions, 10 vs 10/)
    expect(d.lo).toBeGreaterThan(0.1)
    expect(d).toEqual(compareGroups(ANALYSIS_METRIC_DEFINITIONS.p95, a, b))
  })

  it('treats error rate as an absolute change and fails on a real error increase', () => {
    const gate = compareToBaseline(suite(9, { errorRate: 0.05 }), suite(10), { tolerance: 0.05 })
    const err = gate.changes.find((c) => c.metric === 'error_rate')!
    expect(err.baseline).toBe(0)
    expect(err.relChange).toBeGreaterThan(0.03)
    expect(err.regression).toBe(true)
  })

  it('fails loudly when the baseline shares no cell with the run', () => {
    const current = makeSuiteResult({ runs: [{ cell: { cache: 'lru' } }, { cell: { cache: 'lfu' } }] })
    const old = makeSuiteResult({ runs: [{ cell: { cache: 'none' } }, { cell: { cache: 'ttl' } }] })
    const gate = compareToBaseline(current, old, { tolerance: 0.05 })
    expect(gate.changes).toEqual([])
    expect(gate.passed).toBe(false)
  })
})
