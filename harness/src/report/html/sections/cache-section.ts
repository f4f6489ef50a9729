import type { RunResult } from '../../../results/results-schema.js'
import type { ChartSpec } from '../chart-spec.js'
import { dataTable } from '../data-table.js'
import { formatCount, formatInterval, formatMs, formatPercent } from '../format.js'
import { seriesColor } from '../palette.js'
import { runLabel, runsToChart, type ReportContext, type ReportSection } from '../report-context.js'
import { html, joinHtml } from '../safe-html.js'

// Cache hit rate over time (how fast the cache warms, whether evictions churn it) and per run.

export function renderCacheSection(ctx: ReportContext): ReportSection | null {
  const { suite } = ctx
  const cachedRuns = suite.runs.filter((r) => r.metrics.cache_hit_rate !== undefined || (r.timeSeries ?? []).some((p) => typeof p.cacheHitRate === 'number'))
  if (cachedRuns.length === 0) return null
  const charted = runsToChart(ctx).filter((r) => (r.timeSeries ?? []).some((p) => typeof p.cacheHitRate === 'number'))
  const perRun = dataTable(
    [
      { header: 'Run', cell: (r: RunResult) => r.id },
      { header: 'Cache', cell: (r) => r.topology?.cache?.strategy ?? '' },
      { header: 'Hits', numeric: true, cell: (r) => formatCount(r.metrics.cache_hit_rate?.hits) },
      { header: 'Misses', numeric: true, cell: (r) => formatCount(r.metrics.cache_hit_rate?.misses) },
      { header: 'Hit rate', numeric: true, cell: (r) => formatPercent(r.metrics.cache_hit_rate?.rate) },
      { header: 'Evictions', numeric: true, cell: (r) => formatCount(r.sut?.cache?.evictions) },
    ],
    cachedRuns,
  )
  const caches = suite.analysis?.caches ?? []
  const analysisTable =
    caches.length > 0
      ? dataTable(
          [
            { header: 'Configuration', cell: (c: (typeof caches)[number]) => c.cellLabel },
            { header: 'Hit rate [CI]', numeric: true, cell: (c) => formatInterval(c.hitRate, formatPercent) },
            { header: 'Latency gained per hit-rate point', numeric: true, cell: (c) => formatMs(c.latencyGainPerPointMs) },
          ],
          caches,
          'Hit rate per configuration',
        )
      : null
  let figure = null
  if (charted.length > 0) {
    const spec: ChartSpec = {
      id: ctx.charts.id('cache-hit-rate'),
      title: 'Cache hit rate over time',
      x: { title: 'seconds', type: 'linear', format: 'seconds' },
      y: { title: 'hit rate', type: 'linear', format: 'percent', min: 0, max: 1 },
      legend: charted.length > 1,
      datasets: charted.map((r, i) => ({
        label: runLabel(ctx, r),
        kind: 'line',
        color: seriesColor(i),
        data: r.timeSeries.map((p) => ({ x: p.elapsedS, y: typeof p.cacheHitRate === 'number' ? p.cacheHitRate : null })),
      })),
    }
    figure = ctx.charts.figure(spec, perRun, { wide: true })
  }
  return {
    id: 'cache',
    title: 'Cache',
    body: joinHtml([html`<p class="lede">Share of reads answered from the cache, from the service's own counters.</p>`, figure ?? perRun, analysisTable]),
  }
}
