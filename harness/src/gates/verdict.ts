import { ANALYSIS_METRIC_DEFINITIONS, type AnalysisMetric } from '../analysis/analysis-metrics.js'
import type { Comparison, SuiteResult } from '../results/results-schema.js'
import { evaluateThresholds } from './evaluate-thresholds.js'

// The one sentence a stakeholder repeats, and the exit code CI acts on:
// 0 pass, 99 a threshold or the baseline gate failed (as k6), 1 a run failed for another reason
// (the environment broke) with no gate failure to report.

export const EXIT_PASS = 0
export const EXIT_GATE_FAILED = 99
export const EXIT_RUN_FAILED = 1

const HEADLINE_ORDER: AnalysisMetric[] = ['p95', 'rps', 'p99', 'p50', 'error_rate', 'cache_hit_rate']

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US')
}

function fmtValue(v: number | null): string {
  if (v === null) return 'no value'
  return String(Number(v.toPrecision(4)))
}

/** The most telling significant comparison: headline metric order, then the largest effect. */
export function headlineComparison(comparisons: readonly Comparison[]): Comparison | null {
  for (const metric of HEADLINE_ORDER) {
    const sig = comparisons.filter((c) => c.metric === metric && c.significant)
    if (sig.length > 0) return [...sig].sort((a, b) => Math.abs(b.relDiff.estimate) - Math.abs(a.relDiff.estimate))[0]
  }
  return null
}

function signedPct(x: number): string {
  const v = Math.abs(x * 100)
  return `${x >= 0 ? '+' : '−'}${v < 10 ? v.toFixed(1) : v.toFixed(0)}%`
}

function cleanSentence(s: string): string {
  return s.replace(/\s+/g, ' ').trim()
}

/** Decides pass/fail and the sentence (the runner calls it last, after analysis and gates). */
export function decideVerdict(suite: SuiteResult): SuiteResult['verdict'] {
  const parts: string[] = []
  const analysis = suite.analysis
  const thresholds = suite.gates?.thresholds ?? evaluateThresholds(suite)
  const baseline = suite.gates?.baseline

  // 1. What the experiment found.
  if (analysis) {
    const head = headlineComparison(analysis.comparisons)
    if (head) {
      parts.push(head.text)
    } else if (analysis.comparisons.length > 0) {
      const cells = [...new Set(analysis.comparisons.flatMap((c) => [c.a, c.b]))]
      const names = cells.length <= 2 ? cells.join(' and ') : `${cells.slice(0, -1).join(', ')} and ${cells[cells.length - 1]}`
      const metric = HEADLINE_ORDER.find((m) => analysis.comparisons.some((c) => c.metric === m)) ?? 'p95'
      const one = analysis.comparisons.filter((c) => c.metric === metric)
      const detail = one.length === 1 && one[0].relDiff.lo !== one[0].relDiff.hi && ANALYSIS_METRIC_DEFINITIONS[metric].scale === 'ratio'
        ? ` (${ANALYSIS_METRIC_DEFINITIONS[metric].label} ${signedPct(one[0].relDiff.estimate)}, 95% CI ${signedPct(one[0].relDiff.lo)} to ${signedPct(one[0].relDiff.hi)})`
        : ''
      // A single short run per configuration gives no interval at all: "no significant
      // difference" would read as "they are the same" when the data simply cannot tell.
      const noInterval = analysis.comparisons.every((c) => c.relDiff.lo === c.relDiff.hi)
      const rps = analysis.comparisons.filter((c) => c.metric === 'rps').sort((x, y) => Math.abs(y.relDiff.estimate) - Math.abs(x.relDiff.estimate))[0]
      parts.push(
        noInterval
          ? `too little data to tell whether ${names} really differ (one short run each gives no confidence interval${rps ? `; ${rps.b} vs ${rps.a} throughput ${signedPct(rps.relDiff.estimate)}` : ''}): run with repetitions or longer runs`
          : `no significant difference between ${names} on any metric${detail}`,
      )
    } else if (analysis.cells.length === 1 && !analysis.knee && !analysis.scalability) {
      const m = analysis.cells[0].metrics
      if (m.rps && m.p95) parts.push(`${analysis.cells[0].cellLabel} served ${fmt(m.rps.estimate)} req/s at p95 ${m.p95.estimate.toFixed(1)} ms`)
    }
    if (analysis.knee) {
      parts.push(analysis.knee.maxSustainableRps !== null
        ? `max sustainable throughput ${fmt(analysis.knee.maxSustainableRps)} req/s (${analysis.knee.sloText})`
        : `no sustainable rate found: ${analysis.knee.evidence}`)
    }
    if (analysis.scalability && !analysis.capacityPlan) {
      const s = analysis.scalability
      parts.push(s.nStar !== null && s.xStar !== null
        ? `throughput peaks at ${fmt(s.xStar)} req/s near ${s.nStar.toFixed(1)} replicas (USL σ=${s.sigma.toFixed(3)}, κ=${s.kappa.toExponential(1)})`
        : `scale-out: ${s.note ?? `USL σ=${s.sigma.toFixed(3)}`}`)
    }
    if (analysis.capacityPlan) {
      const p = analysis.capacityPlan
      parts.push(p.replicas !== null
        ? `${p.replicas} replica${p.replicas === 1 ? '' : 's'} serve${p.replicas === 1 ? 's' : ''} ${fmt(p.targetRps)} req/s with ${Math.round(p.headroom * 100)}% headroom${/extrapolated beyond the measured N ≤ \d+/.test(p.reason) ? ` (${/extrapolated beyond the measured N ≤ \d+/.exec(p.reason)?.[0]})` : ''}`
        : `no replica count reaches ${fmt(p.targetRps)} req/s: ${p.reason}`)
    }
  }

  // 2. The gates.
  const failed = thresholds.filter((t) => !t.passed)
  if (thresholds.length === 0) parts.push('no thresholds set')
  else if (failed.length === 0) parts.push(`all ${thresholds.length} threshold${thresholds.length === 1 ? '' : 's'} passed`)
  else {
    const first = failed[0]
    const detail = first.value === null ? first.message ?? `${first.metric} ${first.expression}: no value` : `${first.metric} ${first.expression} on ${first.runId}: measured ${fmtValue(first.value)}`
    parts.push(`${failed.length} of ${thresholds.length} threshold${thresholds.length === 1 ? '' : 's'} failed (first: ${detail})`)
  }
  if (baseline) {
    const regressions = baseline.changes.filter((c) => c.regression)
    if (baseline.changes.length === 0) parts.push(`the baseline ${baseline.file} shares no cell with this run, so it cannot vouch for it`)
    else if (regressions.length === 0) parts.push(`no significant regression against the baseline (tolerance ${Math.round(baseline.tolerance * 100)}%)`)
    else {
      const r = regressions[0]
      const change = r.metric === 'error_rate' ? `${(r.relChange * 100).toFixed(2)} percentage points` : `${r.relChange > 0 ? '+' : ''}${(r.relChange * 100).toFixed(1)}%`
      parts.push(`regression against the baseline: ${r.metric} ${change} on ${r.cellLabel} (95% CI ${(r.ci[0] * 100).toFixed(1)} to ${(r.ci[1] * 100).toFixed(1)}${r.metric === 'error_rate' ? ' pp' : '%'})${regressions.length > 1 ? ` and ${regressions.length - 1} more` : ''}`)
    }
  }
  const failedRuns = suite.runs.filter((r) => r.status === 'failed')
  if (failedRuns.length > 0) parts.push(`${failedRuns.length} run${failedRuns.length === 1 ? '' : 's'} failed (${failedRuns[0].id}: ${failedRuns[0].error ?? 'no reason recorded'})`)

  const gatesFailed = failed.length > 0 || (baseline !== undefined && !baseline.passed) || (suite.gates !== null && !suite.gates.passed)
  const exitCode = gatesFailed ? EXIT_GATE_FAILED : failedRuns.length > 0 || suite.runs.length === 0 ? EXIT_RUN_FAILED : EXIT_PASS
  if (suite.runs.length === 0) parts.push('no run was measured')
  const text = cleanSentence(parts.join('; '))
  return { text: text.length > 0 ? `${text}.` : 'Nothing was measured.', passed: exitCode === EXIT_PASS, exitCode }
}
