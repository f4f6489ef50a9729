import type { ChartSpec } from '../chart-spec.js'
import { dataTable } from '../data-table.js'
import { formatCount, formatPercent } from '../format.js'
import { seriesColor } from '../palette.js'
import type { ReportContext, ReportSection } from '../report-context.js'
import { html } from '../safe-html.js'

// How the balancer spread requests over the replicas: an even split is the goal of most
// strategies; least-connections and p2c should shift load away from a slow replica.

interface Share {
  cellLabel: string
  backend: string
  requests: number
  share: number
}

export function backendShares(ctx: ReportContext): Share[] {
  const rows: Share[] = []
  for (const cell of ctx.cells) {
    const counts = new Map<string, number>()
    for (const run of cell.runs) {
      for (const [backend, n] of Object.entries(run.sut?.backends ?? {})) {
        if (Number.isFinite(n)) counts.set(backend, (counts.get(backend) ?? 0) + n)
      }
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0)
    if (total <= 0) continue
    for (const [backend, requests] of [...counts].sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }))) {
      rows.push({ cellLabel: cell.cellLabel, backend, requests, share: requests / total })
    }
  }
  return rows
}

export function renderBackendShareSection(ctx: ReportContext): ReportSection | null {
  const rows = backendShares(ctx)
  if (rows.length === 0) return null
  const cells = [...new Set(rows.map((r) => r.cellLabel))]
  const backends = [...new Set(rows.map((r) => r.backend))]
  const counts = cells.map((c) => rows.filter((r) => r.cellLabel === c).length)
  const rowsPerCell = counts[0]!
  const even = counts.every((n) => n === rowsPerCell) ? 1 / rowsPerCell : undefined
  const spec: ChartSpec = {
    id: ctx.charts.id('backend-share'),
    title: 'Request share per backend',
    labels: backends,
    x: { title: 'backend', type: 'category', format: 'number' },
    y: { title: 'share of requests', type: 'linear', format: 'percent', min: 0 },
    legend: cells.length > 1,
    refLines:
      even !== undefined && rowsPerCell > 1 ? [{ axis: 'y', value: even, label: `even split ${formatPercent(even)}`, color: '#6b7280', dashed: true }] : [],
    datasets: cells.map((cell) => ({
      label: cell,
      kind: 'bar',
      color: seriesColor(ctx.cells.findIndex((c) => c.cellLabel === cell)),
      data: backends.map((b) => rows.find((r) => r.cellLabel === cell && r.backend === b)?.share ?? null),
    })),
  }
  const table = dataTable(
    [
      { header: 'Configuration', cell: (r: Share) => r.cellLabel },
      { header: 'Backend', cell: (r) => r.backend },
      { header: 'Requests', numeric: true, cell: (r) => formatCount(r.requests) },
      { header: 'Share', numeric: true, cell: (r) => formatPercent(r.share) },
    ],
    rows,
  )
  return {
    id: 'backends',
    title: 'Request share per backend',
    body: html`<p class="lede">Requests each replica answered, as counted by the balancer (summed over repetitions).</p>
${ctx.charts.figure(spec, table, { wide: true })}`,
  }
}
