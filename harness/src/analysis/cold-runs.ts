import type { RunResult, SuiteAnalysis } from '../results/results-schema.js'
import { ANALYSIS_METRIC_DEFINITIONS, type AnalysisMetric } from './analysis-metrics.js'
import { observeRuns, varianceComponents, varianceOfGroupMean } from './variance-components.js'
import { median, mserTruncation } from './warm-up.js'

// Cold runs: a warm-up too short for JIT compilation, connection pools or caches shows in two
// ways, and both are reported (never silently dropped: the reader decides):
//  - the first repetition of a cell is far worse than the others, beyond what their within-run
//    and run-to-run noise explain;
//  - a run's measured phase begins with a transient (MSER truncation point, see warm-up.ts).

export type ColdRun = NonNullable<SuiteAnalysis['coldRuns']>[number]

/** A first repetition is called cold when it is this many standard errors worse than the rest... */
const COLD_Z = 4
/** ...and worse by at least this share, so a tiny but precise difference is not called cold. */
const COLD_SHARE = 0.2
/** A start-of-run transient: its seconds' median p95 at least this factor above the rest. */
const TRANSIENT_FACTOR = 1.3

function firstRepetition(metric: AnalysisMetric, cellLabel: string, runs: readonly RunResult[]): ColdRun | null {
  const def = ANALYSIS_METRIC_DEFINITIONS[metric]
  const obs = observeRuns(def, runs).sort((a, b) => a.startedAt.localeCompare(b.startedAt))
  const [first, ...others] = obs
  if (first === undefined || others.length === 0) return null
  const c = varianceComponents(others.length >= 2 ? [others, [first]] : [[first], others])
  if (!c) return null
  const firstGroup = others.length >= 2 ? 1 : 0
  const othersGroup = 1 - firstGroup
  const v = varianceOfGroupMean(c, firstGroup) + varianceOfGroupMean(c, othersGroup)
  if (!(v > 0)) return null
  const othersMean = others.reduce((s, o) => s + o.value, 0) / others.length
  const worse = def.higherIsBetter ? othersMean - first.value : first.value - othersMean
  const z = worse / Math.sqrt(v)
  const share = Math.expm1(worse)
  if (z < COLD_Z || share < COLD_SHARE) return null
  const othersRaw = others.reduce((s, o) => s + o.raw, 0) / others.length
  const fmt = (x: number) => (def.unit === 'ms' ? `${x.toFixed(x < 10 ? 2 : 1)} ms` : `${Math.round(x)} req/s`)
  return {
    runId: first.runId,
    cellLabel,
    kind: 'first-repetition',
    metric,
    text: `${first.runId} looks cold: ${def.label} ${fmt(first.raw)} against ${fmt(othersRaw)} in the other repetition${others.length === 1 ? '' : 's'} of ${cellLabel} (${z.toFixed(0)}× the noise the runs show); the warm-up was probably too short: lengthen warmup.durationS or raise warmup.maxS`,
  }
}

function startOfRun(run: RunResult): ColdRun | null {
  const p95 = run.timeSeries.map((p) => (p.reqs > 0 && p.p95 > 0 ? p.p95 : Number.NaN))
  if (p95.some((v) => !Number.isFinite(v)) || p95.length < 8) return null
  const d = mserTruncation(p95.map(Math.log))
  if (d < 2) return null
  const before = median(p95.slice(0, d))
  const after = median(p95.slice(d))
  if (before < TRANSIENT_FACTOR * after) return null
  return {
    runId: run.id,
    cellLabel: run.cellLabel,
    kind: 'start-of-run',
    metric: 'p95',
    text: `${run.id}: its first ${d} s were still warming up (p95 ${before.toFixed(1)} ms, then ${after.toFixed(1)} ms); lengthen warmup.durationS or raise warmup.maxS`,
  }
}

/** Cold first repetitions (p95, and throughput for closed-model runs) and start-of-run transients. */
export function findColdRuns(cells: ReadonlyArray<{ cellLabel: string; runs: readonly RunResult[] }>): ColdRun[] {
  const out: ColdRun[] = []
  for (const c of cells) {
    const ok = c.runs.filter((r) => r.status === 'ok')
    const metrics: AnalysisMetric[] = ok.every((r) => r.load.model === 'closed') ? ['p95', 'rps'] : ['p95']
    for (const m of metrics) {
      const found = firstRepetition(m, c.cellLabel, ok)
      if (found) {
        out.push(found)
        break
      }
    }
    for (const r of ok) {
      const found = startOfRun(r)
      if (found) out.push(found)
    }
  }
  return out
}
