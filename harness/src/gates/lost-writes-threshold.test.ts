import { describe, expect, it } from 'vitest'
import { makeRunResult, makeSuiteResult } from '../../test/fixtures/suite-fixtures.js'
import { renderJunit } from '../report/junit-report.js'
import { renderMarkdownSummary } from '../report/markdown-summary.js'
import { renderHtmlReport } from '../report/html/render-html-report.js'
import { ConsoleReporter } from '../report/console-reporter.js'
import type { LostWrites, RunResult } from '../results/results-schema.js'
import { faultsExplainingUnverified } from '../runner/execute-run.js'
import { validityNotes } from '../runner/validity-notes.js'
import { evaluateThresholds } from './evaluate-thresholds.js'

// lost_writes counts only what could be read back. A write that gave no usable answer is
// unverified: it fails a lost_writes threshold unless the run's own faults explain it, it never
// passes a threshold when nothing at all was checked, and every report says how many there were.

function runWith(lost: LostWrites): RunResult {
  const run = makeRunResult({ durationS: 5 })
  run.metrics.lost_writes = lost
  return run
}

function outcome(lost: LostWrites) {
  const suite = makeSuiteResult({ runs: [runWith(lost)], thresholds: { lost_writes: ['count==0'] } })
  const [o] = evaluateThresholds(suite)
  return o
}

describe('lost_writes threshold with unverified writes', () => {
  it('passes when every acknowledged write was read back intact', () => {
    expect(outcome({ count: 0, checked: 200, unverified: 0 })!.passed).toBe(true)
  })

  it('fails when writes could not be verified and no fault explains it', () => {
    const o = outcome({ count: 0, checked: 150, unverified: 50, unverifiedExplainedBy: [] })!
    expect(o.passed).toBe(false)
    expect(o.message).toContain('50 of 200 acknowledged writes could not be read back')
    expect(o.message).toContain('no fault of the scenario explains it')
  })

  it('never passes when not one write could be checked, even with a fault to explain it', () => {
    const o = outcome({ count: 0, checked: 0, unverified: 200, unverifiedExplainedBy: ['kill shard-1 at 3.0 s'] })!
    expect(o.passed).toBe(false)
    expect(o.message).toContain('not one write was verified')
  })

  it("judges the checked writes when the run's faults explain the rest, and says so", () => {
    const o = outcome({ count: 0, checked: 120, unverified: 80, unverifiedExplainedBy: ['kill shard-1 at 3.0 s'] })!
    expect(o.passed).toBe(true)
    expect(o.message).toContain("explained by the run's faults (kill shard-1 at 3.0 s); judged on the 120 that were read back")
  })

  it('still fails on a write that was read back lost', () => {
    expect(outcome({ count: 3, checked: 120, unverified: 80, unverifiedExplainedBy: ['kill shard-1 at 3.0 s'] })!.passed).toBe(false)
  })
})

describe('faults that explain unverified writes', () => {
  const event = (elapsedS: number, action: 'kill' | 'pause' | 'resume' | 'restart' | 'slow', member: string, ok = true) => ({
    elapsedS,
    at: '',
    action,
    member,
    ok,
  })

  it('are kills and pauses of members still down at the end of the run', () => {
    expect(
      faultsExplainingUnverified([event(3, 'kill', 'shard-1'), event(4, 'pause', 'replica-2'), event(6, 'resume', 'replica-2'), event(2, 'slow', 'shard-0')]),
    ).toEqual(['kill shard-1 at 3.0 s'])
  })

  it('are none when the member came back, or the fault was not applied', () => {
    expect(faultsExplainingUnverified([event(3, 'kill', 'shard-1'), event(5, 'restart', 'shard-1'), event(4, 'kill', 'shard-0', false)])).toEqual([])
  })
})

describe('reports show checked and unverified writes', () => {
  const lost: LostWrites = { count: 0, checked: 150, unverified: 50, unverifiedExplainedBy: [] }
  const run = runWith(lost)
  run.validity = validityNotes(run.metrics, null, run.load, run.durationS)
  const suite = makeSuiteResult({ runs: [run], thresholds: { lost_writes: ['count==0'] } })
  suite.gates = { passed: false, thresholds: evaluateThresholds(suite) }

  it('in the validity notes', () => {
    const note = run.validity.find((n) => n.code === 'lost-writes')
    expect(note?.level).toBe('error')
    expect(note?.message).toContain('50 of 200 acknowledged writes could not be read back')
  })

  it('in summary.md', () => {
    const md = renderMarkdownSummary(suite)
    expect(md).toContain('### Writes read back after each run')
    expect(md).toMatch(/\| 150 \| 0 \| ⚠️ 50 \| no fault of the scenario \|/)
  })

  it('in junit.xml', () => {
    expect(renderJunit(suite)).toContain('50 of 200 acknowledged writes could not be read back')
  })

  it('in index.html', () => {
    const page = renderHtmlReport(suite)
    expect(page).toContain('Writes unverified')
    expect(page).toContain('no fault of the scenario')
  })

  it('on the console', () => {
    let text = ''
    const stream = { write: (t: string) => ((text += t), true), isTTY: false } as unknown as NodeJS.WritableStream
    new ConsoleReporter({ progress: stream, out: stream }).onRunEnd(run)
    expect(text).toContain('lost writes 0 of 150 checked (50 unverified)')
  })
})
