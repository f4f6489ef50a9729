import type { ReportContext, ReportSection } from '../report-context.js'
import { formatCount, formatMs, formatNumber, formatPercent, formatRps } from '../format.js'
import { html, type SafeHtml } from '../safe-html.js'

// The handful of numbers someone quotes from the report. With several configurations, the best
// one is named under each figure.

interface Figure {
  label: string
  value: string
  note?: string
  tone?: 'pass' | 'fail' | 'warn'
}

function best(ctx: ReportContext, pick: (c: ReportContext['cells'][number]) => number | undefined, higherIsBetter: boolean) {
  let bestCell: { label: string; value: number } | undefined
  for (const cell of ctx.cells) {
    const value = pick(cell)
    if (value === undefined) continue
    if (!bestCell || (higherIsBetter ? value > bestCell.value : value < bestCell.value)) bestCell = { label: cell.cellLabel, value }
  }
  return bestCell
}

export function renderKeyFiguresSection(ctx: ReportContext): ReportSection | null {
  const { suite } = ctx
  if (suite.runs.length === 0) return null
  const figures: Figure[] = []
  const several = ctx.cells.length > 1
  const rps = best(ctx, (c) => c.mean((r) => r.metrics.http_reqs.rate), true)
  const p95 = best(ctx, (c) => c.mean((r) => r.metrics.http_req_duration.p95), false)
  const p99 = best(ctx, (c) => c.mean((r) => r.metrics.http_req_duration.p99), false)
  if (rps) figures.push({ label: several ? 'Best throughput' : 'Throughput', value: formatRps(rps.value), note: several ? rps.label : undefined })
  if (p95) figures.push({ label: several ? 'Lowest p95 latency' : 'p95 latency', value: formatMs(p95.value), note: several ? p95.label : undefined })
  if (p99) figures.push({ label: several ? 'Lowest p99 latency' : 'p99 latency', value: formatMs(p99.value), note: several ? p99.label : undefined })

  const total = suite.runs.reduce((s, r) => s + r.metrics.http_reqs.count, 0)
  const fails = suite.runs.reduce((s, r) => s + r.metrics.http_req_failed.fails, 0)
  const errorRate = total > 0 ? fails / total : undefined
  figures.push({ label: 'Requests measured', value: formatCount(total), note: `${formatCount(fails)} failed` })
  if (errorRate !== undefined) {
    const maxErr = suite.scenario.slo?.maxErrorRate
    figures.push({
      label: 'Availability',
      value: formatPercent(1 - errorRate),
      tone: maxErr !== undefined && errorRate > maxErr ? 'fail' : undefined,
      note: `error rate ${formatPercent(errorRate)}`,
    })
  }

  const analysis = suite.analysis
  if (analysis?.knee && analysis.knee.maxSustainableRps !== null) {
    figures.push({ label: 'Max sustainable rate', value: formatRps(analysis.knee.maxSustainableRps), note: analysis.knee.sloText })
  }
  if (analysis?.scalability && analysis.scalability.nStar !== null) {
    figures.push({
      label: 'Scalability limit N*',
      value: `${formatNumber(analysis.scalability.nStar)} replicas`,
      note: analysis.scalability.xStar !== null ? `peak ≈ ${formatRps(analysis.scalability.xStar)}` : undefined,
    })
  }
  if (analysis?.capacityPlan) {
    const plan = analysis.capacityPlan
    figures.push({
      label: 'Replicas needed',
      value: plan.replicas !== null ? formatCount(plan.replicas) : 'not reachable',
      note: `for ${formatRps(plan.targetRps)}`,
      tone: plan.replicas === null ? 'fail' : undefined,
    })
  }
  const thresholds = suite.gates?.thresholds ?? []
  if (thresholds.length > 0) {
    const ok = thresholds.filter((t) => t.passed).length
    figures.push({
      label: 'Thresholds',
      value: `${ok} / ${thresholds.length} passed`,
      tone: ok === thresholds.length ? 'pass' : 'fail',
    })
  }

  const cards: SafeHtml[] = figures.map(
    (f) =>
      html`<div class="figure-card${f.tone ? ` ${f.tone}` : ''}"><div class="figure-label">${f.label}</div><div class="figure-value">${f.value}</div>${f.note ? html`<div class="figure-note">${f.note}</div>` : ''}</div>`,
  )
  return { id: 'key-figures', title: 'Key figures', body: html`<div class="figures">${cards}</div>` }
}
