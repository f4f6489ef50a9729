import type { Comparison, Interval, RunResult } from '../results/results-schema.js'
import { ANALYSIS_METRIC_DEFINITIONS, type AnalysisMetric } from './analysis-metrics.js'
import { changeWithInterval, signedChange } from './format-change.js'
import { compareGroups, excludesZero, type GroupIntervalOptions } from './group-intervals.js'

// Pairwise comparisons between cells that differ in exactly one matrix key (the treatment): "lru
// vs none at replicas=2" is a question an architect asks; "lru,replicas=2 vs none,replicas=3"
// mixes two causes and answers none. Stress levels (`rate`) are a curve, not a comparison.

export const COMPARED_METRICS: readonly AnalysisMetric[] = ['rps', 'p50', 'p95', 'p99', 'error_rate', 'cache_hit_rate']
const NOT_A_TREATMENT = new Set(['rate'])
const MAX_PAIRS = 60

export interface CellGroup {
  cellLabel: string
  cell: Record<string, string | number>
  runs: readonly RunResult[]
}

function differingKeys(a: CellGroup, b: CellGroup): string[] {
  const keys = new Set([...Object.keys(a.cell), ...Object.keys(b.cell)])
  return [...keys].filter((k) => a.cell[k] !== b.cell[k])
}

/** Pairs of cells to compare (a first in suite order, so `a` reads as the reference). */
export function comparablePairs(cells: readonly CellGroup[], excludeKeys: readonly string[] = []): Array<[CellGroup, CellGroup]> {
  const pairs: Array<[CellGroup, CellGroup]> = []
  for (const [i, a] of cells.entries()) {
    for (const b of cells.slice(i + 1)) {
      const [key, ...more] = differingKeys(a, b)
      if (key !== undefined && more.length === 0 && !NOT_A_TREATMENT.has(key) && !excludeKeys.includes(key)) pairs.push([a, b])
    }
  }
  // A suite without matrix keys but several labels (hand-built results): compare every pair.
  if (pairs.length === 0 && cells.length >= 2 && cells.every((c) => Object.keys(c.cell).length === 0)) {
    for (const [i, a] of cells.entries()) for (const b of cells.slice(i + 1)) pairs.push([a, b])
  }
  return pairs.slice(0, MAX_PAIRS)
}

function pctText(x: number): string {
  const v = Math.abs(x * 100)
  return `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')}%`
}

function ppText(x: number): string {
  return `${Math.abs(x * 100).toFixed(2)} percentage points`
}

/**
 * Largest difference an interval may still allow for "no significant difference" to be said: a
 * wider interval that includes 0 means the data cannot tell (10% for ratio metrics, 1 percentage
 * point for shares).
 */
export const RESOLUTION = { ratio: 0.1, difference: 0.01 } as const

/** What the interval of b vs a says: different, no difference (narrow and including 0), or cannot tell. */
export function comparisonOutcome(metric: AnalysisMetric, d: Interval): NonNullable<Comparison['outcome']> {
  if (d.noInterval) return 'cannot-tell'
  if (excludesZero(d)) return 'different'
  const limit = RESOLUTION[ANALYSIS_METRIC_DEFINITIONS[metric].scale]
  return Math.max(Math.abs(d.lo), Math.abs(d.hi)) <= limit ? 'no-difference' : 'cannot-tell'
}

/** Sentence for a comparison; the interval is (b − a)/a or b − a as `metric` defines. */
export function comparisonText(
  metric: AnalysisMetric,
  aLabel: string,
  bLabel: string,
  d: Interval,
  outcome: NonNullable<Comparison['outcome']> = comparisonOutcome(metric, d),
): string {
  const def = ANALYSIS_METRIC_DEFINITIONS[metric]
  const ratio = def.scale === 'ratio'
  if (outcome === 'cannot-tell') {
    return d.noInterval
      ? `cannot tell whether ${aLabel} and ${bLabel} differ in ${def.label}: ${bLabel} vs ${aLabel} ${signedChange(def, d.estimate)} (${d.noInterval}); repeat the runs to get an interval`
      : `cannot tell whether ${aLabel} and ${bLabel} differ in ${def.label}: ${bLabel} vs ${aLabel} ${changeWithInterval(def, d)}; more repetitions would narrow the interval`
  }
  if (outcome === 'no-difference')
    return `no significant difference in ${def.label} between ${aLabel} and ${bLabel}: ${bLabel} vs ${aLabel} ${changeWithInterval(def, d)}`
  const bHigher = d.estimate > 0
  const bBetter = bHigher === def.higherIsBetter
  const [winner, loser] = bBetter ? [bLabel, aLabel] : [aLabel, bLabel]
  if (ratio) {
    // Always relative to the loser: (winner − loser) / loser. The interval is for (b − a)/a, so
    // when a wins it is mapped through r -> 1/(1+r) − 1, which is monotone (bounds swap).
    const t = bBetter ? d : { ...d, estimate: 1 / (1 + d.estimate) - 1, lo: 1 / (1 + d.hi) - 1, hi: 1 / (1 + d.lo) - 1 }
    const [lo, hi] = [Math.abs(t.lo), Math.abs(t.hi)].sort((x, y) => x - y) as [number, number]
    return `${winner} beats ${loser} on ${def.label} by ${pctText(t.estimate)} (95% CI ${pctText(lo)}–${pctText(hi)})`
  }
  const [lo, hi] = [Math.abs(d.lo), Math.abs(d.hi)].sort((x, y) => x - y) as [number, number]
  return `${winner} beats ${loser} on ${def.label} by ${ppText(d.estimate)} (95% CI ${(lo * 100).toFixed(2)}–${(hi * 100).toFixed(2)} pp)`
}

/** All comparisons between comparable cells, one per metric both cells measured. */
/** `excludeKeys`: matrix keys analysed as a curve elsewhere (replicas when the USL is fitted). */
export function compareCells(cells: readonly CellGroup[], opts: GroupIntervalOptions = {}, excludeKeys: readonly string[] = []): Comparison[] {
  const out: Comparison[] = []
  for (const [a, b] of comparablePairs(cells, excludeKeys)) {
    for (const metric of COMPARED_METRICS) {
      const def = ANALYSIS_METRIC_DEFINITIONS[metric]
      const d = compareGroups(def, a.runs, b.runs, opts)
      if (!d) continue
      const outcome = comparisonOutcome(metric, d)
      const significant = outcome === 'different'
      const bBetter = d.estimate > 0 === def.higherIsBetter
      out.push({
        metric,
        a: a.cellLabel,
        b: b.cellLabel,
        relDiff: d,
        significant,
        better: significant ? (bBetter ? b.cellLabel : a.cellLabel) : null,
        outcome,
        text: comparisonText(metric, a.cellLabel, b.cellLabel, d, outcome),
      })
    }
  }
  return out
}

/**
 * Per metric, the cell that significantly beats every cell it was compared with (at least one);
 * omitted when no cell does, or when two cells in different parts of the matrix both do.
 */
export function pickWinners(comparisons: readonly Comparison[]): Record<string, string> {
  const winners: Record<string, string> = {}
  const metrics = [...new Set(comparisons.map((c) => c.metric))]
  for (const metric of metrics) {
    const cs = comparisons.filter((c) => c.metric === metric)
    const cells = [...new Set(cs.flatMap((c) => [c.a, c.b]))]
    const unbeaten = cells.filter((cell) => {
      const mine = cs.filter((c) => c.a === cell || c.b === cell)
      return mine.length > 0 && mine.every((c) => c.better === cell)
    })
    if (unbeaten.length === 1) winners[metric] = unbeaten[0]!
  }
  return winners
}
