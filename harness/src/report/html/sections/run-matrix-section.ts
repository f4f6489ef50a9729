import type { RunResult } from '../../../results/results-schema.js'
import type { CellGroup, ReportContext, ReportSection } from '../report-context.js'
import { dataTable, type Column } from '../data-table.js'
import { describeComparedChoices, describeLoad } from '../describe-run.js'
import { formatCount, formatDateTime, formatDuration, formatInterval, formatMs, formatNumber, formatPercent } from '../format.js'
import { html } from '../safe-html.js'

// The run matrix: one row per configuration (repetitions folded together, with the confidence
// interval when the analysis computed one), and every single run in a table below it.

export function renderRunMatrixSection(ctx: ReportContext): ReportSection | null {
  const { suite } = ctx
  if (suite.runs.length === 0) return null
  const intervals = new Map((suite.analysis?.cells ?? []).map((c) => [c.cellLabel, c.metrics]))
  const winners = new Set(Object.values(suite.analysis?.winners ?? {}))

  const cellColumns: Column<CellGroup>[] = [
    {
      header: 'Configuration',
      cell: (c) =>
        html`${c.cellLabel}${winners.has(c.cellLabel) ? html` <span class="tag pass" title="best on at least one metric, significantly">winner</span>` : ''}${c.runs.some((r) => r.status !== 'ok') ? html` <span class="tag fail">${c.runs.filter((r) => r.status !== 'ok').length} failed</span>` : ''}`,
    },
    { header: 'Reps', numeric: true, cell: (c) => c.runs.length },
    {
      header: 'Throughput (req/s)',
      numeric: true,
      cell: (c) => {
        const rps = intervals.get(c.cellLabel)?.rps
        return rps && c.runs.length > 1 ? formatInterval(rps) : formatNumber(c.mean((r) => r.metrics.http_reqs.rate))
      },
    },
    { header: 'p50', numeric: true, cell: (c) => formatMs(c.mean((r) => r.metrics.http_req_duration.p50)) },
    {
      header: 'p95',
      numeric: true,
      cell: (c) => {
        const p95 = intervals.get(c.cellLabel)?.p95
        return p95 && c.runs.length > 1 ? formatInterval(p95, formatMs) : formatMs(c.mean((r) => r.metrics.http_req_duration.p95))
      },
    },
    { header: 'p99', numeric: true, cell: (c) => formatMs(c.mean((r) => r.metrics.http_req_duration.p99)) },
    {
      header: 'Errors',
      numeric: true,
      cell: (c) => {
        const fails = c.runs.reduce((s, r) => s + r.metrics.http_req_failed.fails, 0)
        return html`${formatCount(fails)} <span class="muted">(${formatPercent(c.mean((r) => r.metrics.http_req_failed.rate))})</span>`
      },
      className: (c) => (c.runs.some((r) => r.metrics.http_req_failed.fails > 0) ? 'warn' : undefined),
    },
    { header: 'Availability', numeric: true, cell: (c) => formatPercent(c.mean((r) => r.metrics.availability.rate)) },
    { header: 'Cache hit rate', numeric: true, cell: (c) => formatPercent(c.mean((r) => r.metrics.cache_hit_rate?.rate)) },
  ]

  const runColumns: Column<RunResult>[] = [
    { header: 'Run', cell: (r) => r.id },
    {
      header: 'Status',
      cell: (r) => html`<span class="tag ${r.status === 'ok' ? 'pass' : 'fail'}">${r.status}</span>`,
    },
    { header: 'Engine', cell: (r) => r.engine },
    { header: 'Load', cell: (r) => describeLoad(r.load) },
    { header: 'Started', cell: (r) => formatDateTime(r.startedAt) },
    { header: 'Duration', numeric: true, cell: (r) => formatDuration(r.durationS) },
    { header: 'Requests', numeric: true, cell: (r) => formatCount(r.metrics.http_reqs.count) },
    { header: 'req/s', numeric: true, cell: (r) => formatNumber(r.metrics.http_reqs.rate) },
    { header: 'p95', numeric: true, cell: (r) => formatMs(r.metrics.http_req_duration.p95) },
    { header: 'p99', numeric: true, cell: (r) => formatMs(r.metrics.http_req_duration.p99) },
    { header: 'Errors', numeric: true, cell: (r) => formatCount(r.metrics.http_req_failed.fails) },
    { header: 'Dropped', numeric: true, cell: (r) => formatCount(r.metrics.dropped_iterations.count) },
  ]

  const choices = describeComparedChoices(suite.runs)
  return {
    id: 'run-matrix',
    title: 'Run matrix',
    body: html`<p class="lede">One row per configuration; values are means over its repetitions${
      ctx.cells.some((c) => c.runs.length > 1) ? ', with the confidence interval in brackets' : ''
    }.</p>
${dataTable(cellColumns, ctx.cells)}
${choices.length > 0 ? html`<p class="muted compared">Compared: ${choices.map((c, i) => html`${i > 0 ? '; ' : ''}${c.kind} <strong>${c.name}</strong>: ${c.about}`)}.</p>` : ''}
<details class="numbers runs"><summary>All ${suite.runs.length} runs</summary>${dataTable(runColumns, suite.runs)}</details>`,
  }
}
