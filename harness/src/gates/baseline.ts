import { ANALYSIS_METRIC_DEFINITIONS, type AnalysisMetric } from '../analysis/analysis-metrics.js'
import { groupCells } from '../analysis/analyze-suite.js'
import { compareGroups, excludesZero, type GroupIntervalOptions } from '../analysis/group-intervals.js'
import type { BaselineChange, GateResult, SuiteResult } from '../results/results-schema.js'

// "Did this change make the service slower?" Each cell of the current suite is compared with the
// cell of the same label in the baseline, metric by metric, with a confidence interval (see
// group-intervals.ts for the method: repetitions when both sides have them, else a block
// bootstrap over each run's seconds).
//
// A change is a REGRESSION only when it is both beyond the tolerance and statistically
// significant, in this strict sense: the WHOLE confidence interval lies beyond the tolerance edge
// on the bad side. In words: "we are 97.5% confident it got worse by more than the tolerance".
//   rps:          ci.hi < −tolerance           (relative change)
//   p95, p99:     ci.lo > +tolerance           (relative change)
//   error_rate:   ci.lo > +errorRateTolerance  (ABSOLUTE change of the share; default
//                 tolerance/10, i.e. 0.5 percentage points at 5%. Error rates are often exactly
//                 0, where a relative change is meaningless, so for error_rate `relChange` and
//                 `ci` hold absolute differences.)
// Why not "estimate beyond tolerance and interval excludes zero"? With 30 s runs the p95 of two
// runs of the same build differs by ~4% (1 sd), so a 5% tolerance is crossed by noise alone in
// about one comparison in five, and with four metrics per cell the weaker rule failed ~1 build
// in 6 on pure noise (measured in baseline.test.ts). `significant` (interval excludes zero) is
// still reported, so a real but small change shows up in the output without failing the build.

export const BASELINE_METRICS: readonly AnalysisMetric[] = ['rps', 'p95', 'p99', 'error_rate']
export const DEFAULT_TOLERANCE = 0.05

export interface BaselineOptions {
  /** Relative tolerance for rps and latency (0.05 = 5%). */
  tolerance: number
  /** Absolute tolerance for error rate (share); default tolerance / 10. */
  errorRateTolerance?: number
  /** Shown in reports: where the baseline came from. */
  file?: string
  seed?: number
  iterations?: number
}

export type BaselineGate = NonNullable<GateResult['baseline']>

/** Whether the whole interval [lo, hi] of a change lies beyond the tolerance on the bad side. */
export function isRegression(metric: AnalysisMetric, ci: readonly [number, number], tolerance: number, errorRateTolerance: number): boolean {
  const def = ANALYSIS_METRIC_DEFINITIONS[metric]
  const edge = def.scale === 'difference' ? errorRateTolerance : tolerance
  return def.higherIsBetter ? ci[1] < -edge : ci[0] > edge
}

export function compareToBaseline(current: SuiteResult, baseline: SuiteResult, opts: BaselineOptions): BaselineGate {
  if (!(opts.tolerance >= 0) || !Number.isFinite(opts.tolerance)) throw new RangeError(`tolerance must be a non-negative share (0.05 = 5%), got ${opts.tolerance}`)
  const errTol = opts.errorRateTolerance ?? opts.tolerance / 10
  const io: GroupIntervalOptions = { seed: opts.seed ?? 1, iterations: opts.iterations ?? 2000 }
  const cur = groupCells(current.runs).filter((g) => g.runs.length > 0)
  const base = groupCells(baseline.runs).filter((g) => g.runs.length > 0)
  let pairs = cur.flatMap((c) => {
    const b = base.find((x) => x.cellLabel === c.cellLabel)
    return b ? [{ label: c.cellLabel, cur: c, base: b }] : []
  })
  // Two single-cell suites with different labels (e.g. `loadlab compare lru.json lfu.json`).
  if (pairs.length === 0 && cur.length === 1 && base.length === 1) {
    pairs = [{ label: base[0].cellLabel === cur[0].cellLabel ? cur[0].cellLabel : `${base[0].cellLabel} → ${cur[0].cellLabel}`, cur: cur[0], base: base[0] }]
  }
  const changes: BaselineChange[] = []
  for (const p of pairs) {
    for (const metric of BASELINE_METRICS) {
      const def = ANALYSIS_METRIC_DEFINITIONS[metric]
      const d = compareGroups(def, p.base.runs, p.cur.runs, io)
      if (!d) continue
      const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length
      const vals = (runs: typeof p.cur.runs) => runs.map((r) => def.overall(r)).filter((v): v is number => v !== null)
      const significant = d.lo !== d.hi && excludesZero(d)
      changes.push({
        metric,
        cellLabel: p.label,
        baseline: mean(vals(p.base.runs)),
        current: mean(vals(p.cur.runs)),
        relChange: d.estimate,
        ci: [d.lo, d.hi],
        significant,
        regression: significant && isRegression(metric, [d.lo, d.hi], opts.tolerance, errTol),
      })
    }
  }
  return {
    file: opts.file ?? '(baseline)',
    tolerance: opts.tolerance,
    changes,
    // A baseline that shares no cell with this run cannot vouch for it: fail loudly instead.
    passed: pairs.length > 0 && changes.every((c) => !c.regression),
  }
}
