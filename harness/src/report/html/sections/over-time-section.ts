import type { RunResult } from '../../../results/results-schema.js'
import type { ChartSpec } from '../chart-spec.js'
import { dataTable } from '../data-table.js'
import { describeLoad } from '../describe-run.js'
import { formatCount, formatMs, formatNumber } from '../format.js'
import { COLORS } from '../palette.js'
import { runLabel, runsToChart, type ReportContext, type ReportSection } from '../report-context.js'
import { html, type SafeHtml } from '../safe-html.js'
import { faultLabel, faultMarkers } from './fault-markers.js'

// Throughput and latency percentiles second by second, one chart per run, with fault markers.

function runChart(ctx: ReportContext, run: RunResult): SafeHtml | null {
  const points = run.timeSeries ?? []
  if (points.length === 0) return null
  const hasOffered = points.some((p) => typeof p.offeredRate === 'number')
  const spec: ChartSpec = {
    id: ctx.charts.id('over-time'),
    title: runLabel(ctx, run),
    x: { title: 'seconds into the measured phase', type: 'linear', format: 'seconds' },
    y: { title: 'throughput (req/s)', type: 'linear', format: 'rps', min: 0 },
    y2: { title: 'latency (ms)', type: 'linear', format: 'ms', min: 0 },
    datasets: [
      { label: 'req/s', kind: 'line', axis: 'y', color: COLORS.rps, fill: true, data: points.map((p) => ({ x: p.elapsedS, y: p.reqs })) },
      ...(hasOffered
        ? [
            {
              label: 'offered req/s',
              kind: 'line' as const,
              axis: 'y' as const,
              color: COLORS.ideal,
              dashed: true,
              data: points.map((p) => ({ x: p.elapsedS, y: p.offeredRate ?? null })),
            },
          ]
        : []),
      { label: 'p50', kind: 'line', axis: 'y2', color: COLORS.p50, data: points.map((p) => ({ x: p.elapsedS, y: p.p50 })) },
      { label: 'p95', kind: 'line', axis: 'y2', color: COLORS.p95, data: points.map((p) => ({ x: p.elapsedS, y: p.p95 })) },
      { label: 'p99', kind: 'line', axis: 'y2', color: COLORS.p99, data: points.map((p) => ({ x: p.elapsedS, y: p.p99 })) },
    ],
    refLines: faultMarkers(run.faults),
  }
  const table = dataTable(
    [
      { header: 't (s)', numeric: true, cell: (p) => formatNumber(p.elapsedS) },
      { header: 'req/s', numeric: true, cell: (p) => formatCount(p.reqs) },
      ...(hasOffered ? [{ header: 'offered', numeric: true, cell: (p: (typeof points)[number]) => formatNumber(p.offeredRate) }] : []),
      { header: 'errors', numeric: true, cell: (p) => formatCount(p.errors) },
      { header: 'dropped', numeric: true, cell: (p) => formatCount(p.dropped) },
      { header: 'p50', numeric: true, cell: (p) => formatMs(p.p50) },
      { header: 'p95', numeric: true, cell: (p) => formatMs(p.p95) },
      { header: 'p99', numeric: true, cell: (p) => formatMs(p.p99) },
      { header: 'max', numeric: true, cell: (p) => formatMs(p.max) },
    ],
    points,
  )
  const faults = run.faults ?? []
  const faultTable =
    faults.length > 0
      ? dataTable(
          [
            { header: 't (s)', numeric: true, cell: (f) => formatNumber(f.elapsedS) },
            { header: 'fault', cell: (f) => faultLabel(f) },
            { header: 'detail', cell: (f) => f.detail ?? f.error ?? '' },
          ],
          faults,
          'Faults',
        )
      : ''
  const caption = html`${run.engine} · ${describeLoad(run.load)}${faults.length ? html` · ${faults.length} fault${faults.length === 1 ? '' : 's'}` : ''}`
  return ctx.charts.figure(spec, html`${faultTable}${table}`, { caption, printSkip: true })
}

export function renderOverTimeSection(ctx: ReportContext): ReportSection | null {
  const runs = runsToChart(ctx)
  const figures = runs.map((r) => runChart(ctx, r)).filter((f): f is SafeHtml => f !== null)
  if (figures.length === 0) return null
  const omitted = ctx.suite.runs.length - runs.length
  return {
    id: 'over-time',
    title: 'Throughput and latency over time',
    body: html`<p class="lede">Requests per second (left axis) and latency percentiles (right axis), second by second.${
      ctx.suite.runs.some((r) => (r.faults ?? []).length > 0) ? ' Vertical lines mark injected faults.' : ''
    }${omitted > 0 ? ` Only the first repetition of each configuration is drawn; ${omitted} other runs are in the run table.` : ''}</p>
<div class="chart-grid">${figures}</div>`,
  }
}
