import type { RunResult } from '../../../results/results-schema.js'
import type { ChartSpec } from '../chart-spec.js'
import { dataTable } from '../data-table.js'
import { formatMs } from '../format.js'
import { seriesColor } from '../palette.js'
import { runLabel, runsToChart, type ReportContext, type ReportSection } from '../report-context.js'
import { html } from '../safe-html.js'

// The latency percentile distribution as HdrHistogram plots it: the x axis is 1/(1-p) on a log
// scale, so 90 %, 99 %, 99.9 % get equal room and the tail is visible instead of squashed.

/** [percentile in %, ms] pairs; from the run's distribution, else from its summary percentiles. */
export function percentilePoints(run: RunResult): Array<[number, number]> {
  let pairs = (run.percentiles ?? []).filter((p): p is [number, number] => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]))
  // Accept fractions (0.99) as well as percents (99): a distribution that never exceeds 1 is fractional.
  if (pairs.length > 0 && Math.max(...pairs.map((p) => p[0])) <= 1) pairs = pairs.map(([p, ms]) => [p * 100, ms])
  if (pairs.length === 0) {
    const d = run.metrics.http_req_duration
    pairs = (
      [
        [0, d.min],
        [50, d.p50],
        [90, d.p90],
        [95, d.p95],
        [99, d.p99],
        [99.9, d.p999],
      ] as Array<[number, number]>
    ).filter((p) => Number.isFinite(p[1]))
  }
  // p = 100 % is at infinity on this axis; the table shows max instead.
  return pairs.filter(([p]) => p >= 0 && p < 100).sort((a, b) => a[0] - b[0])
}

export function renderLatencyDistributionSection(ctx: ReportContext): ReportSection | null {
  const runs = runsToChart(ctx).filter((r) => r.metrics.http_reqs.count > 0)
  const series = runs.map((run) => ({ run, points: percentilePoints(run) })).filter((s) => s.points.length >= 2)
  if (series.length === 0) return null
  const spec: ChartSpec = {
    id: ctx.charts.id('latency-distribution'),
    title: 'Latency by percentile',
    x: { title: 'percentile (log scale)', type: 'percentile', format: 'percent' },
    y: { title: 'latency (ms)', type: 'linear', format: 'ms', min: 0 },
    legend: series.length > 1,
    datasets: series.map((s, i) => ({
      label: runLabel(ctx, s.run),
      kind: 'line',
      color: seriesColor(i),
      pointRadius: 0,
      data: s.points.map(([p, ms]) => ({ x: 1 / (1 - p / 100), y: ms })),
    })),
  }
  const table = dataTable(
    [
      { header: 'Run', cell: (r: RunResult) => runLabel(ctx, r) },
      { header: 'p50', numeric: true, cell: (r) => formatMs(r.metrics.http_req_duration.p50) },
      { header: 'p90', numeric: true, cell: (r) => formatMs(r.metrics.http_req_duration.p90) },
      { header: 'p95', numeric: true, cell: (r) => formatMs(r.metrics.http_req_duration.p95) },
      { header: 'p99', numeric: true, cell: (r) => formatMs(r.metrics.http_req_duration.p99) },
      { header: 'p99.9', numeric: true, cell: (r) => formatMs(r.metrics.http_req_duration.p999) },
      { header: 'max', numeric: true, cell: (r) => formatMs(r.metrics.http_req_duration.max) },
    ],
    series.map((s) => s.run),
  )
  return {
    id: 'latency-distribution',
    title: 'Latency distribution',
    body: html`<p class="lede">How slow the slowest requests were: each step right on the axis is ten times rarer (90 %, 99 %, 99.9 %).</p>
${ctx.charts.figure(spec, table, { wide: true, tall: true })}`,
  }
}
