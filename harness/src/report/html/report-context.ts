import type { RunResult, SuiteResult } from '../../results/results-schema.js'
import { ChartCollector } from './chart-figure.js'
import type { SafeHtml } from './safe-html.js'

// What every section renderer receives: the suite, its runs grouped by matrix cell (repetitions
// together) and the chart collector. Sections return null when they have no data, so the page
// only shows what was measured.

/** The runs of one matrix cell and simple means over its repetitions. */
export interface CellGroup {
  cellLabel: string
  runs: RunResult[]
  /** Mean over repetitions that produced a finite value; undefined when none did. */
  mean: (pick: (run: RunResult) => number | undefined) => number | undefined
}

export interface ReportContext {
  suite: SuiteResult
  cells: CellGroup[]
  charts: ChartCollector
}

/** A rendered section; the page's table of contents lists them in order. */
export interface ReportSection {
  id: string
  title: string
  body: SafeHtml
}

function meanOf(values: Array<number | undefined>): number | undefined {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  if (finite.length === 0) return undefined
  return finite.reduce((a, b) => a + b, 0) / finite.length
}

/** Groups runs by cellLabel, keeping the order in which cells first appear. */
export function groupRunsByCell(runs: readonly RunResult[]): CellGroup[] {
  const byLabel = new Map<string, RunResult[]>()
  for (const run of runs) {
    const label = run.cellLabel || run.id
    const list = byLabel.get(label)
    if (list) list.push(run)
    else byLabel.set(label, [run])
  }
  return [...byLabel].map(([cellLabel, cellRuns]) => ({
    cellLabel,
    runs: cellRuns,
    mean: (pick) => meanOf(cellRuns.map(pick)),
  }))
}

export function createReportContext(suite: SuiteResult): ReportContext {
  return { suite, cells: groupRunsByCell(suite.runs), charts: new ChartCollector() }
}

/** Most runs get their own over-time chart; in a large matrix only each cell's first repetition does. */
export const MAX_RUN_CHARTS = 12

/** The runs that get per-run charts (all of them, or one per cell when there are many). */
export function runsToChart(ctx: ReportContext): RunResult[] {
  if (ctx.suite.runs.length <= MAX_RUN_CHARTS) return ctx.suite.runs
  return ctx.cells.map((c) => c.runs[0]!).slice(0, MAX_RUN_CHARTS * 2)
}

/** Short legend label for a run: the cell label, plus "#rep" when the cell has repetitions. */
export function runLabel(ctx: ReportContext, run: RunResult): string {
  const cell = ctx.cells.find((c) => c.runs.includes(run))
  const base = run.cellLabel || run.id
  if (!cell || cell.runs.length === 1) return base || run.id
  return `${base} #${run.repetition}`
}

/** A finite number or undefined (guards data that came from a file). */
export function finiteOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}
