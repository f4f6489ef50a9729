import type { CellSummary, Interval, RunResult, SuiteAnalysis, SuiteResult } from '../results/results-schema.js'
import { ANALYSIS_METRICS, ANALYSIS_METRIC_DEFINITIONS } from './analysis-metrics.js'
import { cacheEffects } from './cache-effect.js'
import { planCapacity } from './capacity-plan.js'
import { compareCells, pickWinners, type CellGroup } from './compare-cells.js'
import { cellMetricInterval, type GroupIntervalOptions } from './group-intervals.js'
import { findKnee, stressPoints } from './knee.js'
import { checkLittlesLaw } from './littles-law.js'
import { findColdRuns } from './cold-runs.js'
import { hotShardNote, partitionLoad } from './partition-load.js'
import { fitUsl, type ThroughputPoint } from './usl-fit.js'

// Turns measured runs into answers: per-cell figures with intervals, comparisons that say
// whether a difference is real, the stress knee, the USL fit and capacity plan, partition and
// cache effects, and validity notes. Pure: the same SuiteResult always gives the same analysis.

export interface AnalyzeOptions {
  /** Plan replicas for this load (req/s) when the suite is a scale-out. */
  targetRps?: number
  /** Share of capacity kept free in the plan (default 0.3). */
  headroom?: number
  /** Confidence level of every interval (default 0.95). */
  confidence?: number
}

export const DEFAULT_HEADROOM = 0.3

/** Groups runs by cell label in suite order; failed runs measured nothing usable and are left out. */
export function groupCells(runs: readonly RunResult[]): CellGroup[] {
  const groups = new Map<string, CellGroup & { runs: RunResult[] }>()
  for (const r of runs) {
    let g = groups.get(r.cellLabel)
    if (!g) {
      g = { cellLabel: r.cellLabel, cell: r.cell, runs: [] }
      groups.set(r.cellLabel, g)
    }
    if (r.status !== 'failed') g.runs.push(r)
  }
  return [...groups.values()]
}

function summarizeCell(g: CellGroup, allRuns: readonly RunResult[], opts: GroupIntervalOptions): CellSummary {
  const metrics: Record<string, Interval> = {}
  for (const key of ANALYSIS_METRICS) {
    const i = cellMetricInterval(ANALYSIS_METRIC_DEFINITIONS[key], g.runs, opts)
    if (i) metrics[key] = i
  }
  return { cellLabel: g.cellLabel, cell: g.cell, runs: allRuns.filter((r) => r.cellLabel === g.cellLabel).map((r) => r.id), metrics }
}

/** Throughput per replica count: the best cell at each N (mean over its repetitions). */
export function scaleOutPoints(cells: readonly CellGroup[]): ThroughputPoint[] {
  const best = new Map<number, number>()
  for (const c of cells) {
    const n = Number(c.cell.replicas)
    if (!Number.isFinite(n) || n < 1 || c.runs.length === 0) continue
    const x = c.runs.reduce((s, r) => s + r.metrics.http_reqs.rate * (1 - r.metrics.http_req_failed.rate), 0) / c.runs.length
    best.set(n, Math.max(best.get(n) ?? 0, x))
  }
  return [...best.entries()].sort((a, b) => a[0] - b[0]).map(([n, throughput]) => ({ n, throughput }))
}

export function analyzeSuite(suite: SuiteResult, opts: AnalyzeOptions = {}): SuiteAnalysis {
  const io: GroupIntervalOptions = opts.confidence === undefined ? {} : { confidence: opts.confidence }
  const cells = groupCells(suite.runs)
  const notes: string[] = []
  const analysis: SuiteAnalysis = { cells: [], comparisons: [], winners: {}, notes }

  analysis.cells = cells.map((g) => summarizeCell(g, suite.runs, io))
  for (const g of cells) if (g.runs.length === 0) notes.push(`${g.cellLabel}: every run failed, so the cell has no figures`)
  if (cells.some((g) => g.runs.length === 1) && cells.length > 0) {
    notes.push(
      'cells with a single repetition: their own intervals cover within-run noise only, and a comparison of two such cells has no interval (cannot tell); add repetitions to capture run-to-run variation',
    )
  }
  const cold = findColdRuns(cells)
  if (cold.length > 0) {
    analysis.coldRuns = cold
    notes.push(...cold.map((c) => c.text))
  }

  const slo = suite.scenario.slo
  const points = stressPoints(suite.runs, slo)
  if (points.length >= 2) analysis.knee = findKnee(points, slo)

  const xs = scaleOutPoints(cells)
  if (xs.length >= 2 || (suite.scenario.kind === 'scale-out' && xs.length >= 1)) {
    analysis.scalability = fitUsl(xs)
    if (suite.runs.some((r) => r.cell.replicas !== undefined && r.load.model === 'open')) {
      notes.push(
        'scale-out throughput comes from open-model runs: where the offered rate was below capacity, the USL fit understates what the replicas can serve',
      )
    }
    if (opts.targetRps !== undefined) analysis.capacityPlan = planCapacity(analysis.scalability, opts.targetRps, opts.headroom ?? DEFAULT_HEADROOM)
  }

  // Replica counts are a curve (the USL fit above), not a contest: "6 replicas beat 1" says nothing.
  analysis.comparisons = compareCells(cells, io, analysis.scalability ? ['replicas'] : [])
  analysis.winners = pickWinners(analysis.comparisons)

  const partitions = cells.map((g) => partitionLoad(g.cellLabel, g.runs)).filter((p): p is NonNullable<typeof p> => p !== null)
  if (partitions.length > 0 && cells.some((g) => g.runs.some((r) => r.topology.shards > 1))) {
    analysis.partitions = partitions
    for (const p of partitions) {
      const shards = cells.find((g) => g.cellLabel === p.cellLabel)?.runs[0]?.topology.shards ?? 0
      const note = hotShardNote(p, shards)
      if (note) notes.push(note)
    }
  }

  const caches = cacheEffects(cells, io)
  if (caches.length > 0) analysis.caches = caches

  for (const r of suite.runs) {
    const check = checkLittlesLaw(r)
    if (check && !check.ok && check.message) notes.push(check.message)
  }
  return analysis
}
