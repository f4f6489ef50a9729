import path from 'node:path'
import { ANALYSIS_METRIC_DEFINITIONS, type AnalysisMetric } from '../analysis/analysis-metrics.js'
import { groupCells } from '../analysis/analyze-suite.js'
import { findMeanShift } from '../analysis/change-point.js'
import { changeWithInterval, signedChange } from '../analysis/format-change.js'
import { compareGroups, excludesZero } from '../analysis/group-intervals.js'
import { observeRuns } from '../analysis/variance-components.js'
import type { BaselineChange, ChangeOutcome, GateResult, Interval, RunResult, SuiteResult } from '../results/results-schema.js'
import { must } from '../util/must.js'
import { baselineFromSuite, type BaselineSource } from './baseline-source.js'

// "Did this change make the service slower?" Each cell of the current suite is compared with the
// same cell of the baseline (one earlier results.json, or every run of a folder of them: a
// history), metric by metric, with the random-effects interval of analysis/group-intervals.ts.
//
// What the interval says about the tolerance decides the outcome (bad side = slower, fewer
// req/s, more errors):
//   regression          the WHOLE interval lies beyond the tolerance on the bad side: fails the gate
//   worse               the interval excludes 0 on the bad side but not the tolerance
//   improved            the interval excludes 0 on the good side
//   within-tolerance    the interval includes 0 and rules out a change beyond the tolerance
//   inconclusive        the interval includes 0 but also changes beyond the tolerance: the data
//                       cannot tell (more repetitions or a baseline folder would)
//   cannot-tell         no interval at all (one run on each side)
// Only a regression fails the build: a gate that fails on noise gets switched off. The others
// are said in words, so "cannot tell" never reads as "no change".
// error_rate is compared as an ABSOLUTE change of the share (error rates are often exactly 0,
// where a relative change is meaningless), against errorRateTolerance (default tolerance / 10,
// i.e. 0.5 percentage points at 5%).
//
// A folder baseline is a history: before judging, each metric's series of earlier runs is
// scanned for a shift in its mean (analysis/change-point.ts); when one is found (permutation
// p < 0.01) only the runs after it describe the present, and a note says so.

export const BASELINE_METRICS: readonly AnalysisMetric[] = ['rps', 'p95', 'p99', 'error_rate']
export const DEFAULT_TOLERANCE = 0.05
/** A history shift is believed below this permutation p-value. */
const SHIFT_P_VALUE = 0.01

export interface BaselineOptions {
  /** Relative tolerance for rps and latency (0.05 = 5%). */
  tolerance: number
  /** Absolute tolerance for error rate (share); default tolerance / 10. */
  errorRateTolerance?: number
  /** Shown in reports when the baseline is a suite in memory: where it came from. */
  file?: string
}

export type BaselineGate = NonNullable<GateResult['baseline']>

/** What the interval of a change says about the tolerance (see the table at the top of this file). */
export function classifyChange(metric: AnalysisMetric, d: Interval, tolerance: number, errorRateTolerance: number): ChangeOutcome {
  if (d.noInterval) return 'cannot-tell'
  const def = ANALYSIS_METRIC_DEFINITIONS[metric]
  const edge = def.scale === 'difference' ? errorRateTolerance : tolerance
  // Positive = worse, whichever way the metric points.
  const [worseLo, worseHi] = def.higherIsBetter ? [-d.hi, -d.lo] : [d.lo, d.hi]
  if (worseLo > edge) return 'regression'
  if (worseLo > 0) return 'worse'
  if (worseHi < 0) return 'improved'
  return worseHi <= edge ? 'within-tolerance' : 'inconclusive'
}

/** Whether the whole interval [lo, hi] of a change lies beyond the tolerance on the bad side. */
export function isRegression(metric: AnalysisMetric, ci: readonly [number, number], tolerance: number, errorRateTolerance: number): boolean {
  return classifyChange(metric, { estimate: (ci[0] + ci[1]) / 2, lo: ci[0], hi: ci[1], n: 2, method: '' }, tolerance, errorRateTolerance) === 'regression'
}

function toleranceText(metric: AnalysisMetric, tolerance: number, errorRateTolerance: number): string {
  return ANALYSIS_METRIC_DEFINITIONS[metric].scale === 'difference'
    ? `${(errorRateTolerance * 100).toFixed(2)} pp tolerance`
    : `${Number((tolerance * 100).toFixed(1))}% tolerance`
}

/** The sentence for one change: "p95 latency +45% (95% CI +31% to +60%): regression beyond the 5% tolerance". */
export function changeText(metric: AnalysisMetric, d: Interval, outcome: ChangeOutcome, tolerance: number, errorRateTolerance: number): string {
  const def = ANALYSIS_METRIC_DEFINITIONS[metric]
  const tol = toleranceText(metric, tolerance, errorRateTolerance)
  const worse = metric === 'rps' ? 'lower' : metric === 'error_rate' ? 'more errors' : 'slower'
  const better = metric === 'rps' ? 'higher' : metric === 'error_rate' ? 'fewer errors' : 'faster'
  const head = `${def.label} ${changeWithInterval(def, d)}`
  switch (outcome) {
    case 'regression':
      return `${head}: regression beyond the ${tol}`
    case 'worse': {
      const [, worseHi] = def.higherIsBetter ? [-d.hi, -d.lo] : [d.lo, d.hi]
      const edge = def.scale === 'difference' ? errorRateTolerance : tolerance
      return worseHi <= edge ? `${head}: ${worse}, within the ${tol}` : `${head}: ${worse}; may or may not exceed the ${tol} (more runs would tell)`
    }
    case 'improved':
      return `${head}: ${better}`
    case 'within-tolerance':
      return `${head}: no change beyond the ${tol}`
    case 'inconclusive':
      return `${head}: cannot tell; the interval allows a regression beyond the ${tol} (add repetitions, or give --baseline a folder of earlier results)`
    case 'cannot-tell':
      return `${def.label} ${signedChange(def, d.estimate)}: cannot tell (${d.noInterval ?? 'no interval'})`
  }
}

function isSource(x: SuiteResult | BaselineSource): x is BaselineSource {
  return Array.isArray((x as BaselineSource).entries)
}

/** Runs of a folder baseline, renamed so repetitions from different files stay distinguishable. */
function historyRuns(source: BaselineSource, entries: BaselineSource['entries']): RunResult[] {
  if (source.kind === 'file') return entries.flatMap((e) => e.suite.runs)
  return entries
    .flatMap((e) => e.suite.runs.map((r) => ({ ...r, id: `${r.id} (${path.relative(source.label, path.dirname(e.file)) || '.'})` })))
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
}

/**
 * For a history: the runs after the latest believable shift in this metric's mean (all runs
 * when there is none), and the note that says what was dropped.
 */
function currentRegime(metric: AnalysisMetric, runs: readonly RunResult[], cellLabel: string): { runs: readonly RunResult[]; note?: string } {
  const def = ANALYSIS_METRIC_DEFINITIONS[metric]
  const obs = observeRuns(def, runs)
  if (obs.length < 6) return { runs }
  const shift = findMeanShift(
    obs.map((o) => o.value),
    { seed: 1 },
  )
  if (!shift || shift.pValue >= SHIFT_P_VALUE) return { runs }
  const kept = new Set(obs.slice(shift.index).map((o) => o.runId))
  const change = def.scale === 'ratio' ? Math.exp(shift.after - shift.before) - 1 : shift.after - shift.before
  const first = must(obs[shift.index], 'a mean shift splits the series inside it')
  return {
    runs: runs.filter((r) => kept.has(r.id)),
    note: `${cellLabel}: the history of ${def.label} shifted by ${def.scale === 'ratio' ? `${(change * 100).toFixed(1)}%` : `${(change * 100).toFixed(2)} pp`} at ${first.startedAt} (permutation p = ${shift.pValue.toFixed(3)}); judged against the ${kept.size} runs since`,
  }
}

export function compareToBaseline(current: SuiteResult, baseline: SuiteResult | BaselineSource, opts: BaselineOptions): BaselineGate {
  if (!(opts.tolerance >= 0) || !Number.isFinite(opts.tolerance))
    throw new RangeError(`tolerance must be a non-negative share (0.05 = 5%), got ${opts.tolerance}`)
  const errTol = opts.errorRateTolerance ?? opts.tolerance / 10
  const source = isSource(baseline) ? baseline : baselineFromSuite(baseline, opts.file)
  const notes: string[] = []
  let entries = source.entries
  if (source.kind === 'folder') {
    const same = entries.filter((e) => e.suite.scenario.name === current.scenario.name)
    if (same.length < entries.length)
      notes.push(`${entries.length - same.length} of ${entries.length} results in ${source.label} are of other scenarios and were left out`)
    entries = same
  }
  const baseRuns = historyRuns(source, entries)
  const cur = groupCells(current.runs).filter((g) => g.runs.length > 0)
  const base = groupCells(baseRuns).filter((g) => g.runs.length > 0)
  let pairs = cur.flatMap((c) => {
    const b = base.find((x) => x.cellLabel === c.cellLabel)
    return b ? [{ label: c.cellLabel, cur: c, base: b }] : []
  })
  // Two single-cell suites with different labels (e.g. `loadlab compare lru.json lfu.json`).
  if (pairs.length === 0 && cur.length === 1 && base.length === 1) {
    const [c, b] = [cur[0]!, base[0]!]
    pairs = [{ label: b.cellLabel === c.cellLabel ? c.cellLabel : `${b.cellLabel} → ${c.cellLabel}`, cur: c, base: b }]
  }
  const changes: BaselineChange[] = []
  for (const p of pairs) {
    for (const metric of BASELINE_METRICS) {
      const def = ANALYSIS_METRIC_DEFINITIONS[metric]
      const regime = source.kind === 'folder' ? currentRegime(metric, p.base.runs, p.label) : { runs: p.base.runs }
      const d = compareGroups(def, regime.runs, p.cur.runs)
      if (!d) continue
      if (regime.note) notes.push(regime.note)
      const vals = (runs: readonly RunResult[]) => observeRuns(def, runs).map((o) => o.raw)
      // The figures the change is between: geometric means for ratio metrics (see compareGroups).
      const mean = (xs: number[]) =>
        def.scale === 'ratio' ? Math.exp(xs.reduce((s, v) => s + Math.log(v), 0) / xs.length) : xs.reduce((s, v) => s + v, 0) / xs.length
      const outcome = classifyChange(metric, d, opts.tolerance, errTol)
      changes.push({
        metric,
        cellLabel: p.label,
        baseline: mean(vals(regime.runs)),
        current: mean(vals(p.cur.runs)),
        relChange: d.estimate,
        ci: [d.lo, d.hi],
        significant: excludesZero(d),
        regression: outcome === 'regression',
        outcome,
        text: changeText(metric, d, outcome, opts.tolerance, errTol),
        runs: { baseline: vals(regime.runs).length, current: vals(p.cur.runs).length },
        method: d.method,
        ...(d.noInterval ? { noInterval: d.noInterval } : {}),
      })
    }
  }
  return {
    file: source.label,
    tolerance: opts.tolerance,
    ...(source.kind === 'folder' ? { history: { files: entries.length, runs: baseRuns.filter((r) => r.status !== 'failed').length } } : {}),
    changes,
    notes,
    // A baseline that shares no cell with this run cannot vouch for it: fail loudly instead.
    passed: pairs.length > 0 && changes.every((c) => !c.regression),
  }
}
