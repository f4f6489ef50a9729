import { ANALYSIS_METRIC_DEFINITIONS, type AnalysisMetric } from '../analysis/analysis-metrics.js'
import { changeWithInterval, signedChange } from '../analysis/format-change.js'
import type { BaselineChange, Comparison, GateResult, SuiteResult } from '../results/results-schema.js'
import { must } from '../util/must.js'
import { evaluateThresholds } from './evaluate-thresholds.js'

// The one sentence a stakeholder repeats, and the exit code CI acts on:
// 0 pass, 99 a threshold or the baseline gate failed (as k6), 1 a run failed for another reason
// (the environment broke) with no gate failure to report.

export const EXIT_PASS = 0
export const EXIT_GATE_FAILED = 99
export const EXIT_RUN_FAILED = 1

// Which metric a sentence leads with: with a closed model (fixed connections) throughput is the
// outcome and latency follows from it (Little's law); with an open model the arrival rate is
// fixed, so throughput says little and latency is the outcome.
const CLOSED_ORDER: AnalysisMetric[] = ['rps', 'p95', 'p99', 'p50', 'error_rate', 'cache_hit_rate']
const OPEN_ORDER: AnalysisMetric[] = ['p95', 'rps', 'p99', 'p50', 'error_rate', 'cache_hit_rate']

/** The metric order for headlines: throughput first when most runs kept a fixed number of connections. */
export function headlineOrder(suite: Pick<SuiteResult, 'runs'>): AnalysisMetric[] {
  const closed = suite.runs.filter((r) => r.load.model === 'closed').length
  return closed * 2 > suite.runs.length ? CLOSED_ORDER : OPEN_ORDER
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US')
}

function fmtValue(v: number | null): string {
  if (v === null) return 'no value'
  return String(Number(v.toPrecision(4)))
}

/** The most telling significant comparison: headline metric order, then the largest effect. */
export function headlineComparison(comparisons: readonly Comparison[], order: readonly AnalysisMetric[] = OPEN_ORDER): Comparison | null {
  for (const metric of order) {
    const sig = comparisons.filter((c) => c.metric === metric && c.significant)
    const [largest] = [...sig].sort((a, b) => Math.abs(b.relDiff.estimate) - Math.abs(a.relDiff.estimate))
    if (largest) return largest
  }
  return null
}

function cleanSentence(s: string): string {
  return s.replace(/\s+/g, ' ').trim()
}

function listNames(names: readonly string[]): string {
  return names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
}

/** The experiment's finding when no comparison is significant: "no difference" only when the data can rule one out. */
function noWinnerSentence(comparisons: readonly Comparison[], order: readonly AnalysisMetric[]): string {
  const names = listNames([...new Set(comparisons.flatMap((c) => [c.a, c.b]))])
  const metric = order.find((m) => comparisons.some((c) => c.metric === m)) ?? 'p95'
  const lead = must(
    comparisons.filter((c) => c.metric === metric).sort((x, y) => Math.abs(y.relDiff.estimate) - Math.abs(x.relDiff.estimate))[0],
    `a comparison of ${metric} among those the verdict sums up`,
  )
  const def = ANALYSIS_METRIC_DEFINITIONS[metric]
  const leadText = `${lead.b} vs ${lead.a} ${def.label} ${changeWithInterval(def, lead.relDiff)}`
  if (comparisons.every((c) => c.relDiff.noInterval)) {
    return `cannot tell whether ${names} differ (${lead.relDiff.noInterval ?? 'no interval'}; ${lead.b} vs ${lead.a} ${def.label} ${signedChange(def, lead.relDiff.estimate)}): repeat the runs to get intervals`
  }
  if (comparisons.every((c) => c.outcome === 'no-difference')) return `no significant difference between ${names} on any metric (${leadText})`
  return `cannot tell whether ${names} differ: no interval excludes zero, and some are too wide to rule out large differences (${leadText}); more repetitions would narrow them`
}

/** The baseline gate in words: a regression, a proven absence of one, or what the data cannot tell. */
function baselineSentence(baseline: NonNullable<GateResult['baseline']>): string {
  const tol = `${Number((baseline.tolerance * 100).toFixed(1))}%`
  const against = baseline.history ? `the baseline history (${baseline.history.runs} runs in ${baseline.history.files} results)` : 'the baseline'
  if (baseline.changes.length === 0) return `the baseline ${baseline.file} shares no cell with this run, so it cannot vouch for it`
  const regressions = baseline.changes.filter((c) => c.regression)
  const describe = (c: BaselineChange) =>
    `${c.text ?? `${c.metric} ${c.relChange}`}${baseline.changes.some((x) => x.cellLabel !== c.cellLabel) ? ` on ${c.cellLabel}` : ''}`
  if (regressions.length > 0) {
    return `regression against ${against}: ${describe(regressions[0]!)}${regressions.length > 1 ? ` and ${regressions.length - 1} more` : ''}`
  }
  const unsure = baseline.changes.filter((c) => c.outcome === 'cannot-tell' || c.outcome === 'inconclusive')
  if (unsure.length === baseline.changes.length && unsure.every((c) => c.outcome === 'cannot-tell')) {
    return `the baseline gate cannot tell (${unsure[0]!.noInterval ?? 'no interval'}): repeat the runs, or give --baseline a folder of earlier results`
  }
  if (unsure.length > 0) {
    return `no regression proven against ${against}, but ${unsure.length} of ${baseline.changes.length} checks cannot tell (first: ${describe(unsure[0]!)})`
  }
  const lead = baseline.changes.find((c) => c.metric === 'p95') ?? baseline.changes[0]!
  return `no regression beyond the ${tol} tolerance against ${against} (${describe(lead)})`
}

/** Decides pass/fail and the sentence (the runner calls it last, after analysis and gates). */
export function decideVerdict(suite: SuiteResult): SuiteResult['verdict'] {
  const parts: string[] = []
  const analysis = suite.analysis
  const thresholds = suite.gates?.thresholds ?? evaluateThresholds(suite)
  const baseline = suite.gates?.baseline

  // 1. What the experiment found.
  if (analysis) {
    const order = headlineOrder(suite)
    const head = headlineComparison(analysis.comparisons, order)
    if (head) {
      parts.push(head.text)
    } else if (analysis.comparisons.length > 0) {
      parts.push(noWinnerSentence(analysis.comparisons, order))
    } else if (analysis.cells.length === 1 && !analysis.knee && !analysis.scalability) {
      const cell = analysis.cells[0]!
      const m = cell.metrics
      if (m.rps && m.p95) parts.push(`${cell.cellLabel} served ${fmt(m.rps.estimate)} req/s at p95 ${m.p95.estimate.toFixed(1)} ms`)
    }
    if (analysis.knee) {
      parts.push(
        analysis.knee.maxSustainableRps !== null
          ? `max sustainable throughput ${fmt(analysis.knee.maxSustainableRps)} req/s (${analysis.knee.sloText})`
          : `no sustainable rate found: ${analysis.knee.evidence}`,
      )
    }
    if (analysis.scalability && !analysis.capacityPlan) {
      const s = analysis.scalability
      parts.push(
        s.nStar !== null && s.xStar !== null
          ? `throughput peaks at ${fmt(s.xStar)} req/s near ${s.nStar.toFixed(1)} replicas (USL σ=${s.sigma.toFixed(3)}, κ=${s.kappa.toExponential(1)})`
          : `scale-out: ${s.note ?? `USL σ=${s.sigma.toFixed(3)}`}`,
      )
    }
    if (analysis.capacityPlan) {
      const p = analysis.capacityPlan
      parts.push(
        p.replicas !== null
          ? `${p.replicas} replica${p.replicas === 1 ? '' : 's'} serve${p.replicas === 1 ? 's' : ''} ${fmt(p.targetRps)} req/s with ${Math.round(p.headroom * 100)}% headroom${/extrapolated beyond the measured N ≤ \d+/.test(p.reason) ? ` (${/extrapolated beyond the measured N ≤ \d+/.exec(p.reason)?.[0]})` : ''}`
          : `no replica count reaches ${fmt(p.targetRps)} req/s: ${p.reason}`,
      )
    }
  }

  // 2. The gates.
  const failed = thresholds.filter((t) => !t.passed)
  if (thresholds.length === 0) parts.push('no thresholds set')
  else if (failed.length === 0) parts.push(`all ${thresholds.length} threshold${thresholds.length === 1 ? '' : 's'} passed`)
  else {
    const first = failed[0]!
    const detail =
      first.value === null
        ? (first.message ?? `${first.metric} ${first.expression}: no value`)
        : `${first.metric} ${first.expression} on ${first.runId}: measured ${fmtValue(first.value)}`
    parts.push(`${failed.length} of ${thresholds.length} threshold${thresholds.length === 1 ? '' : 's'} failed (first: ${detail})`)
  }
  if (baseline) parts.push(baselineSentence(baseline))
  const failedRuns = suite.runs.filter((r) => r.status === 'failed')
  if (failedRuns.length > 0)
    parts.push(`${failedRuns.length} run${failedRuns.length === 1 ? '' : 's'} failed (${failedRuns[0]!.id}: ${failedRuns[0]!.error ?? 'no reason recorded'})`)

  const gatesFailed = failed.length > 0 || (baseline !== undefined && !baseline.passed) || (suite.gates !== null && !suite.gates.passed)
  const exitCode = gatesFailed ? EXIT_GATE_FAILED : failedRuns.length > 0 || suite.runs.length === 0 ? EXIT_RUN_FAILED : EXIT_PASS
  if (suite.runs.length === 0) parts.push('no run was measured')
  const text = cleanSentence(parts.join('; '))
  return { text: text.length > 0 ? `${text}.` : 'Nothing was measured.', passed: exitCode === EXIT_PASS, exitCode }
}
