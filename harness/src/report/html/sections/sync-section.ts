import type { RunResult } from '../../../results/results-schema.js'
import type { ChartSpec } from '../chart-spec.js'
import { dataTable } from '../data-table.js'
import { formatCount, formatMs, formatPercent } from '../format.js'
import { seriesColor } from '../palette.js'
import { runLabel, runsToChart, type ReportContext, type ReportSection } from '../report-context.js'
import { html, joinHtml } from '../safe-html.js'
import { faultMarkers } from './fault-markers.js'

// How the downstream system kept up, per sync strategy: sync lag and backlog second by second
// (with the faults marked, so an outage and its recovery read at a glance), what each strategy
// cost the writes (p95, failures), and what was missing or delivered twice after the drain.

export function renderSyncSection(ctx: ReportContext): ReportSection | null {
  const syncing = ctx.suite.runs.filter((r) => r.sync !== undefined)
  if (syncing.length === 0) return null
  const charted = runsToChart(ctx).filter((r) => r.sync !== undefined)
  const markers = faultMarkers(charted[0]?.faults)

  const table = dataTable(
    [
      { header: 'Run', cell: (r: RunResult) => runLabel(ctx, r) },
      { header: 'Strategy', cell: (r) => `${r.sync?.strategy ?? ''}${r.sync?.broker ? ` (${r.sync.broker})` : ''}` },
      { header: 'Lag p50', numeric: true, cell: (r) => formatMs(r.metrics.sync_lag?.p50) },
      { header: 'Lag p95', numeric: true, cell: (r) => formatMs(r.metrics.sync_lag?.p95) },
      { header: 'Lag p99', numeric: true, cell: (r) => formatMs(r.metrics.sync_lag?.p99) },
      {
        header: 'Missing',
        numeric: true,
        cell: (r) => (r.metrics.sync_missing ? `${formatCount(r.metrics.sync_missing.count)} of ${formatCount(r.metrics.sync_missing.checked)}` : '–'),
      },
      { header: 'Duplicates', numeric: true, cell: (r) => formatCount(r.metrics.sync_duplicates?.count) },
      { header: 'Peak backlog', numeric: true, cell: (r) => formatCount(Math.max(0, ...(r.sync?.backlog ?? []))) },
      { header: 'Drain', numeric: true, cell: (r) => (r.sync?.drainS === null || r.sync?.drainS === undefined ? 'not drained' : `${r.sync.drainS} s`) },
      { header: 'Recovery', numeric: true, cell: (r) => (r.sync?.recoveryS === null || r.sync?.recoveryS === undefined ? '–' : `${r.sync.recoveryS} s`) },
      { header: 'Write p95', numeric: true, cell: (r) => formatMs(writeP95(r)) },
      { header: 'Writes failed', numeric: true, cell: (r) => formatPercent(writeFailureRate(r)) },
      { header: 'Note', cell: (r) => r.sync?.note ?? '' },
    ],
    syncing,
    'Sync per run: lag from acknowledgement to downstream, what was missing after the drain, what write latency it cost',
  )

  const lagSpec: ChartSpec = {
    id: ctx.charts.id('sync-lag'),
    title: 'Sync lag over time (p95 of the writes acknowledged in each second)',
    x: { title: 'seconds', type: 'linear', format: 'seconds' },
    y: { title: 'sync lag p95', type: 'linear', format: 'ms', min: 0 },
    legend: charted.length > 1,
    datasets: charted.map((r, i) => ({
      label: runLabel(ctx, r),
      kind: 'line',
      color: seriesColor(i),
      data: (r.sync?.lag ?? []).map((p) => ({ x: p.elapsedS, y: p.p95 })),
    })),
    refLines: markers,
  }
  const backlogSpec: ChartSpec = {
    id: ctx.charts.id('sync-backlog'),
    title: 'Backlog over time (acknowledged versions downstream did not hold yet)',
    x: { title: 'seconds', type: 'linear', format: 'seconds' },
    y: { title: 'versions waiting', type: 'linear', format: 'count', min: 0 },
    legend: charted.length > 1,
    datasets: charted.map((r, i) => ({
      label: runLabel(ctx, r),
      kind: 'line',
      color: seriesColor(i),
      stepped: true,
      data: (r.sync?.backlog ?? []).map((y, t) => ({ x: t + 1, y })),
    })),
    refLines: markers,
  }
  const writeSpec: ChartSpec = {
    id: ctx.charts.id('sync-write-p95'),
    title: 'Write latency p95 per run (create and update customer)',
    labels: syncing.map((r) => runLabel(ctx, r)),
    x: { title: 'run', type: 'category', format: 'number' },
    y: { title: 'p95', type: 'linear', format: 'ms', min: 0 },
    legend: false,
    datasets: [{ label: 'write p95', kind: 'bar', color: seriesColor(0), data: syncing.map((r) => writeP95(r) ?? null) }],
  }
  const perSecond = dataTable(
    [
      { header: 'Run', cell: (row: { run: string; elapsedS: number; lag: number | null; backlog: number }) => row.run },
      { header: 'Second', numeric: true, cell: (row) => String(row.elapsedS) },
      { header: 'Lag p95', numeric: true, cell: (row) => formatMs(row.lag) },
      { header: 'Backlog', numeric: true, cell: (row) => formatCount(row.backlog) },
    ],
    charted.flatMap((r) =>
      (r.sync?.backlog ?? []).map((backlog, elapsedS) => ({
        run: runLabel(ctx, r),
        elapsedS,
        lag: r.sync?.lag.find((p) => p.elapsedS === elapsedS)?.p95 ?? null,
        backlog,
      })),
    ),
  )
  return {
    id: 'sync',
    title: 'Sync to downstream',
    body: joinHtml([
      html`<p class="lede">How stale the downstream system was (sync lag: from the CRM's acknowledgement of a write until downstream held that version), what waited (backlog), and whether anything acknowledged never arrived after the run drained.</p>`,
      ctx.charts.figure(lagSpec, perSecond, { wide: true, printSkip: true }),
      ctx.charts.figure(backlogSpec, perSecond, { wide: true, printSkip: true }),
      ctx.charts.figure(writeSpec, table),
      table,
    ]),
  }
}

const WRITES = ['create_customer', 'update_customer'] as const

/** The higher of the two write operations' p95 (each run's writes are mostly one of them). */
function writeP95(r: RunResult): number | undefined {
  const values = WRITES.map((op) => r.perOperation[op]?.http_req_duration.p95).filter((v): v is number => v !== undefined)
  return values.length > 0 ? Math.max(...values) : undefined
}

function writeFailureRate(r: RunResult): number | undefined {
  let fails = 0
  let total = 0
  for (const op of WRITES) {
    const m = r.perOperation[op]
    if (!m) continue
    fails += m.http_req_failed.fails
    total += m.http_reqs.count
  }
  return total > 0 ? fails / total : undefined
}
