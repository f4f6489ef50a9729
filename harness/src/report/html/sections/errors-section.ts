import type { RunResult } from '../../../results/results-schema.js'
import type { ChartSpec } from '../chart-spec.js'
import { dataTable } from '../data-table.js'
import { formatCount, formatPercent } from '../format.js'
import { seriesColor } from '../palette.js'
import { runLabel, runsToChart, type ReportContext, type ReportSection } from '../report-context.js'
import { html, type SafeHtml } from '../safe-html.js'
import { faultMarkers } from './fault-markers.js'

// Errors and availability second by second. When nothing failed the section says so in one line
// instead of drawing flat lines.

function statusText(codes: Record<string, number>): string {
  return Object.entries(codes)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code === '0' ? 'no response' : code}: ${formatCount(n)}`)
    .join(', ')
}

export function renderErrorsSection(ctx: ReportContext): ReportSection | null {
  const { suite } = ctx
  if (suite.runs.length === 0) return null
  const totalFails = suite.runs.reduce((s, r) => s + r.metrics.http_req_failed.fails, 0)
  const totalDropped = suite.runs.reduce((s, r) => s + r.metrics.dropped_iterations.count, 0)
  const totalReqs = suite.runs.reduce((s, r) => s + r.metrics.http_reqs.count, 0)
  const statusTable = dataTable(
    [
      { header: 'Run', cell: (r: RunResult) => r.id },
      { header: 'Failed', numeric: true, cell: (r) => formatCount(r.metrics.http_req_failed.fails) },
      { header: 'Error rate', numeric: true, cell: (r) => formatPercent(r.metrics.http_req_failed.rate) },
      { header: 'Availability', numeric: true, cell: (r) => formatPercent(r.metrics.availability.rate) },
      { header: 'Dropped', numeric: true, cell: (r) => formatCount(r.metrics.dropped_iterations.count) },
      { header: 'Status codes', cell: (r) => statusText(r.metrics.status_counts ?? {}) },
    ],
    suite.runs,
  )
  const checks = checksPart(suite.runs)
  if (totalFails === 0 && totalDropped === 0) {
    return {
      id: 'errors',
      title: 'Errors and availability',
      body: html`<p class="lede ok">No request failed and none was dropped in any run (${formatCount(totalReqs)} requests).</p>
<details class="numbers"><summary>Status codes per run</summary>${statusTable}</details>${checks}`,
    }
  }
  const runs = runsToChart(ctx).filter((r) => (r.timeSeries ?? []).length > 0)
  const several = runs.length > 1
  const markers = runs.flatMap((r) => faultMarkers(r.faults, several ? `${runLabel(ctx, r)}: ` : ''))
  const errorsSpec: ChartSpec = {
    id: ctx.charts.id('errors'),
    title: 'Failed requests per second',
    x: { title: 'seconds', type: 'linear', format: 'seconds' },
    y: { title: 'failed req/s', type: 'linear', format: 'count', min: 0 },
    legend: several,
    refLines: markers,
    datasets: runs.map((r, i) => ({
      label: runLabel(ctx, r),
      kind: 'line',
      color: seriesColor(i),
      stepped: true,
      data: r.timeSeries.map((p) => ({ x: p.elapsedS, y: p.errors })),
    })),
  }
  const availabilitySpec: ChartSpec = {
    id: ctx.charts.id('availability'),
    title: 'Availability per second',
    x: { title: 'seconds', type: 'linear', format: 'seconds' },
    y: { title: 'successful requests', type: 'linear', format: 'percent', max: 1 },
    legend: several,
    refLines: [
      ...markers,
      ...(suite.scenario.slo
        ? [
            {
              axis: 'y' as const,
              value: 1 - suite.scenario.slo.maxErrorRate,
              label: `SLO ${formatPercent(1 - suite.scenario.slo.maxErrorRate)}`,
              color: '#c0392b',
              dashed: true,
            },
          ]
        : []),
    ],
    datasets: runs.map((r, i) => ({
      label: runLabel(ctx, r),
      kind: 'line',
      color: seriesColor(i),
      // reqs counts every finished request, failed ones included.
      data: r.timeSeries.map((p) => ({ x: p.elapsedS, y: p.reqs > 0 ? Math.max(0, (p.reqs - p.errors) / p.reqs) : null })),
    })),
  }
  const perSecond = dataTable(
    [
      { header: 'Run', cell: (row: { run: RunResult; elapsedS: number; reqs: number; errors: number; dropped: number }) => runLabel(ctx, row.run) },
      { header: 't (s)', numeric: true, cell: (row) => row.elapsedS },
      { header: 'requests', numeric: true, cell: (row) => formatCount(row.reqs) },
      { header: 'failed', numeric: true, cell: (row) => formatCount(row.errors) },
      { header: 'dropped', numeric: true, cell: (row) => formatCount(row.dropped) },
      { header: 'availability', numeric: true, cell: (row) => (row.reqs > 0 ? formatPercent(Math.max(0, (row.reqs - row.errors) / row.reqs)) : '—') },
    ],
    runs.flatMap((run) => run.timeSeries.filter((p) => p.errors > 0 || p.dropped > 0).map((p) => ({ run, ...p }))),
    'Seconds with failed or dropped requests',
  )
  return {
    id: 'errors',
    title: 'Errors and availability',
    body: html`<p class="lede">${formatCount(totalFails)} of ${formatCount(totalReqs)} requests failed${
      totalDropped > 0 ? html`; ${formatCount(totalDropped)} arrivals were dropped because too many requests were in flight` : ''
    }.</p>
<div class="chart-grid">${ctx.charts.figure(errorsSpec, perSecond)}${ctx.charts.figure(availabilitySpec, statusTable)}</div>${checks}`,
  }
}

/** HTTP scenarios: the checks' pass rate per run and every failed condition with the first response that failed it. */
function checksPart(runs: readonly RunResult[]): SafeHtml | '' {
  const checked = runs.filter((r) => r.metrics.checks)
  if (checked.length === 0) return ''
  const failures = checked.flatMap((run) => (run.metrics.check_failures ?? []).map((f) => ({ run, ...f })))
  const totalFails = checked.reduce((s, r) => s + (r.metrics.checks?.fails ?? 0), 0)
  const rates = checked.map((r) => `${r.id}: ${formatPercent(r.metrics.checks!.rate)}`).join(', ')
  if (failures.length === 0) return html`<h3>Checks</h3><p class="ok">Every check held (${rates}).</p>`
  const table = dataTable(
    [
      { header: 'Run', cell: (f: (typeof failures)[number]) => f.run.id },
      { header: 'Request', cell: (f) => f.op },
      { header: 'Check', cell: (f) => f.check },
      { header: 'Failed', numeric: true, cell: (f) => formatCount(f.count) },
      {
        header: 'First failing response',
        cell: (f) =>
          html`<code>${f.status === 0 ? 'no response' : `HTTP ${f.status}`}</code> <code class="body-example">${f.body === '' ? '(empty body)' : f.body}</code>`,
      },
    ],
    failures,
    'Failed checks',
  )
  return html`<h3>Checks</h3><p class="lede">${formatCount(totalFails)} check${totalFails === 1 ? '' : 's'} failed (pass rate ${rates}).</p>${table}`
}
