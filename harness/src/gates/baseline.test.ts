import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { asSchemaVersion1, makeSuiteResult, type RunSpec } from '../../test/fixtures/suite-fixtures.js'
import { classifyChange, compareToBaseline } from './baseline.js'
import { loadBaselineSource } from './baseline-source.js'

const base: RunSpec = { cell: { cache: 'lru' }, rps: 400, medianMs: 12, durationS: 30, noise: 0.06, autocorrelation: 0.6 }

function suite(seed: number, over: Partial<RunSpec> = {}, reps = 1) {
  return makeSuiteResult({ runs: Array.from({ length: reps }, (_, i) => ({ ...base, ...over, repetition: i + 1, seed: seed * 100 + i })) })
}

describe('compareToBaseline', () => {
  it('finds no regression between runs of the same configuration (noise alone never fails a build)', () => {
    let regressions = 0
    let significant = 0
    let changes = 0
    const seeds = 40
    for (let s = 1; s <= seeds; s++) {
      const gate = compareToBaseline(suite(s, {}, 2), suite(s + 1000, {}, 2), { tolerance: 0.05 })
      expect(gate.changes.map((c) => c.metric)).toEqual(['rps', 'p95', 'p99', 'error_rate'])
      regressions += gate.changes.filter((c) => c.regression).length
      significant += gate.changes.filter((c) => c.significant).length
      changes += gate.changes.length
    }
    expect(regressions).toBe(0)
    // Intervals are honest: on identical configurations about 5% of them exclude zero (nominal).
    expect(significant / changes).toBeLessThan(0.1)
  })

  it('is not swung by one disturbed run: a p95 fifty times the others among six identical runs is not a regression', () => {
    const runs = (seed: number, disturbed: number | null) =>
      makeSuiteResult({
        runs: Array.from({ length: 6 }, (_, i) => ({ ...base, repetition: i + 1, seed: seed * 100 + i, ...(i === disturbed ? { medianMs: 12 * 50 } : {}) })),
      })
    const gate = compareToBaseline(runs(1, 3), runs(2, null), { tolerance: 0.05 })
    const p95 = gate.changes.find((c) => c.metric === 'p95')!
    // The geometric means: one run 50 times slower moves them by 50^(1/6) ≈ 1.9, not by 9 as the
    // arithmetic mean would, and the spread between runs says how little that means.
    expect(p95.relChange).toBeGreaterThan(0.5)
    expect(p95.relChange).toBeLessThan(1.5)
    expect(p95.outcome).not.toBe('regression')
    expect(gate.passed).toBe(true)
  })

  it('finds a real 30% slowdown with 2 runs a side: a p95 regression beyond tolerance that fails the gate', () => {
    const gate = compareToBaseline(suite(1, { medianMs: 12 * 1.3 }, 2), suite(2, {}, 2), { tolerance: 0.05, file: 'old/results.json' })
    const p95 = gate.changes.find((c) => c.metric === 'p95')!
    expect(p95.relChange).toBeGreaterThan(0.2)
    expect(p95.relChange).toBeLessThan(0.4)
    expect(p95.ci[0]).toBeGreaterThan(0.05)
    expect(p95).toMatchObject({ significant: true, regression: true, outcome: 'regression', cellLabel: 'cache=lru', runs: { baseline: 2, current: 2 } })
    expect(p95.text).toMatch(/^p95 latency \+\d+% \(95% CI \+\d+% to \+\d+%\): regression beyond the 5% tolerance$/)
    expect(gate.passed).toBe(false)
    expect(gate.file).toBe('old/results.json')
    expect(gate.changes.find((c) => c.metric === 'rps')!.regression).toBe(false)
  })

  it('says "cannot tell (1 run each, no interval)" for one run a side, and does not fail the build on it', () => {
    const gate = compareToBaseline(suite(1, { medianMs: 12 * 1.3 }), suite(2), { tolerance: 0.05 })
    const p95 = gate.changes.find((c) => c.metric === 'p95')!
    expect(p95).toMatchObject({ outcome: 'cannot-tell', noInterval: '1 run each, no interval', regression: false, significant: false })
    expect(p95.ci).toEqual([p95.relChange, p95.relChange])
    expect(p95.text).toMatch(/^p95 latency \+\d+%: cannot tell \(1 run each, no interval\)$/)
    expect(gate.passed).toBe(true)
  })

  it('names the outcome of every interval against the tolerance', () => {
    const i = (lo: number, hi: number) => ({ estimate: (lo + hi) / 2, lo, hi, n: 4, method: 'test' })
    expect(classifyChange('p95', i(0.06, 0.3), 0.05, 0.005)).toBe('regression')
    expect(classifyChange('p95', i(0.01, 0.3), 0.05, 0.005)).toBe('worse')
    expect(classifyChange('p95', i(-0.3, -0.01), 0.05, 0.005)).toBe('improved')
    expect(classifyChange('p95', i(-0.03, 0.04), 0.05, 0.005)).toBe('within-tolerance')
    expect(classifyChange('p95', i(-0.5, 0.6), 0.05, 0.005)).toBe('inconclusive')
    // Throughput: lower is worse.
    expect(classifyChange('rps', i(-0.3, -0.06), 0.05, 0.005)).toBe('regression')
    expect(classifyChange('rps', i(0.02, 0.3), 0.05, 0.005)).toBe('improved')
    expect(classifyChange('error_rate', i(0.006, 0.02), 0.05, 0.005)).toBe('regression')
    expect(classifyChange('p95', { ...i(0.3, 0.3), noInterval: '1 run each, no interval' }, 0.05, 0.005)).toBe('cannot-tell')
  })

  it('reports an improvement as better, not a regression, and a within-tolerance slowdown passes', () => {
    const faster = compareToBaseline(suite(1, { medianMs: 8 }, 2), suite(2, {}, 2), { tolerance: 0.05 })
    expect(faster.changes.find((c) => c.metric === 'p95')).toMatchObject({ significant: true, regression: false, outcome: 'improved' })
    expect(faster.passed).toBe(true)
    const slightly = compareToBaseline(suite(3, { medianMs: 12 * 1.3 }, 2), suite(4, {}, 2), { tolerance: 0.5 })
    expect(slightly.passed).toBe(true)
  })

  it('uses repetitions when both sides have them, and says how', () => {
    const gate = compareToBaseline(suite(5, { rps: 300 }, 3), suite(6, {}, 3), { tolerance: 0.05 })
    const rps = gate.changes.find((c) => c.metric === 'rps')!
    expect(rps.relChange).toBeLessThan(-0.2)
    expect(rps.regression).toBe(true)
    expect(rps.method).toMatch(/^random effects over 3 vs 3 runs/)
    const same = compareToBaseline(suite(7, {}, 3), suite(8, {}, 3), { tolerance: 0.05 })
    expect(same.passed).toBe(true)
  })

  it('treats error rate as an absolute change and fails on a real error increase', () => {
    const gate = compareToBaseline(suite(9, { errorRate: 0.05 }, 2), suite(10, {}, 2), { tolerance: 0.05 })
    const err = gate.changes.find((c) => c.metric === 'error_rate')!
    expect(err.baseline).toBe(0)
    expect(err.relChange).toBeGreaterThan(0.03)
    expect(err.regression).toBe(true)
    expect(err.text).toMatch(/error rate \+\d\.\d\d pp .*regression beyond the 0\.50 pp tolerance/)
  })

  it('fails loudly when the baseline shares no cell with the run', () => {
    const current = makeSuiteResult({ runs: [{ cell: { cache: 'lru' } }, { cell: { cache: 'lfu' } }] })
    const old = makeSuiteResult({ runs: [{ cell: { cache: 'none' } }, { cell: { cache: 'ttl' } }] })
    const gate = compareToBaseline(current, old, { tolerance: 0.05 })
    expect(gate.changes).toEqual([])
    expect(gate.passed).toBe(false)
  })
})

describe('compareToBaseline against a folder of earlier results (a history)', () => {
  const dirs: string[] = []
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

  /** One results.json per earlier CI build, each with one run started a day apart. */
  function history(medians: number[]): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-history-'))
    dirs.push(dir)
    medians.forEach((medianMs, i) => {
      const s = suite(300 + i, { medianMs })
      s.runs[0]!.startedAt = new Date(Date.UTC(2026, 0, 1 + i)).toISOString()
      mkdirSync(path.join(dir, `build-${i + 1}`))
      writeFileSync(path.join(dir, `build-${i + 1}`, 'results.json'), JSON.stringify(s))
    })
    return dir
  }

  it('judges new runs against the spread of every earlier run', () => {
    const dir = history([12, 12, 12, 12, 12, 12, 12, 12])
    const source = loadBaselineSource(dir)
    expect(source.kind).toBe('folder')
    expect(source.entries).toHaveLength(8)
    const slower = compareToBaseline(suite(1, { medianMs: 12 * 1.3 }), source, { tolerance: 0.05 })
    const p95 = slower.changes.find((c) => c.metric === 'p95')!
    // Even one new run gets an interval: the history shows how much runs differ.
    expect(p95).toMatchObject({ outcome: 'regression', runs: { baseline: 8, current: 1 } })
    expect(slower.history).toEqual({ files: 8, runs: 8 })
    expect(slower.passed).toBe(false)
    const same = compareToBaseline(suite(2), source, { tolerance: 0.05 })
    expect(same.passed).toBe(true)
    expect(same.changes.find((c) => c.metric === 'p95')!.noInterval).toBeUndefined()
  })

  it('judges against the runs since the last shift when the history moved', () => {
    const source = loadBaselineSource(history([12, 12, 12, 12, 12, 15, 15, 15, 15, 15]))
    const gate = compareToBaseline(suite(3, { medianMs: 15 }), source, { tolerance: 0.05 })
    const p95 = gate.changes.find((c) => c.metric === 'p95')!
    expect(p95.runs).toEqual({ baseline: 5, current: 1 })
    expect(p95.regression).toBe(false)
    expect(gate.notes!.join('\n')).toMatch(
      /cache=lru: the history of p95 latency shifted by \+?2\d\.\d% at 2026-01-06T00:00:00.000Z \(permutation p = 0\.0\d+\); judged against the 5 runs since/,
    )
  })

  it('judges against a baseline file and a history kept from schema version 1 exactly as against current files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-old-baseline-'))
    dirs.push(dir)
    const current = suite(1, { medianMs: 12 * 1.3 }, 2)
    const baseline = suite(2, {}, 2)
    writeFileSync(path.join(dir, 'v1.json'), JSON.stringify(asSchemaVersion1(baseline)))
    writeFileSync(path.join(dir, 'v2.json'), JSON.stringify(baseline))
    const fromOld = compareToBaseline(current, loadBaselineSource(path.join(dir, 'v1.json')), { tolerance: 0.05 })
    const fromNew = compareToBaseline(current, loadBaselineSource(path.join(dir, 'v2.json')), { tolerance: 0.05 })
    expect(fromOld.changes.find((c) => c.metric === 'p95')).toMatchObject({ outcome: 'regression' })
    expect({ ...fromOld, file: '' }).toEqual({ ...fromNew, file: '' })

    // A history folder where older builds wrote version 1 and newer ones the current version.
    const mixed = history([12, 12, 12, 12, 12, 12])
    const oldBuilds = [1, 2, 3].map((b) => path.join(mixed, `build-${b}`, 'results.json'))
    const sameHistory = compareToBaseline(suite(1, { medianMs: 12 * 1.3 }), loadBaselineSource(mixed), { tolerance: 0.05 })
    for (const file of oldBuilds) writeFileSync(file, JSON.stringify(asSchemaVersion1(loadBaselineSource(file).entries[0]!.suite)))
    const source = loadBaselineSource(mixed)
    expect(source.entries).toHaveLength(6)
    expect(compareToBaseline(suite(1, { medianMs: 12 * 1.3 }), source, { tolerance: 0.05 })).toEqual(sameHistory)
  })

  it('refuses a folder without results, naming it', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'loadlab-history-'))
    dirs.push(empty)
    expect(() => loadBaselineSource(empty)).toThrow(/holds no results.json/)
    expect(() => loadBaselineSource(path.join(empty, 'missing'))).toThrow(/no such file or folder/)
  })
})
