import type { ChartSpec } from '../chart-spec.js'
import { dataTable } from '../data-table.js'
import { formatCount, formatNumber, formatPercent } from '../format.js'
import { COLORS, seriesColor } from '../palette.js'
import type { ReportContext, ReportSection } from '../report-context.js'
import { html } from '../safe-html.js'

// Load per shard. A partition scheme that sends most traffic to one shard (range partitions
// under a "latest" key popularity, say) caps the whole system at that shard's capacity, so the
// hottest shard is drawn in the warning colour when it clearly carries more than its share.

/** A shard counts as hot when it carries this much more than an even share. */
export const HOT_SHARD_FACTOR = 1.25

interface ShardRow {
  cellLabel: string
  shard: string
  requests: number | undefined
  share: number
  hottest: boolean
  hot: boolean
}

interface CellShards {
  cellLabel: string
  shares: Map<string, { share: number; requests?: number }>
  keysMoved?: number
}

function fromRuns(ctx: ReportContext): CellShards[] {
  const out: CellShards[] = []
  for (const cell of ctx.cells) {
    const counts = new Map<string, number>()
    for (const run of cell.runs) {
      for (const [shard, n] of Object.entries(run.sut?.shards ?? {})) {
        if (Number.isFinite(n)) counts.set(shard, (counts.get(shard) ?? 0) + n)
      }
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0)
    if (total <= 0) continue
    const keysMoved = cell.runs.map((r) => r.sut?.keysMovedIfShardAdded).find((v) => typeof v === 'number')
    out.push({
      cellLabel: cell.cellLabel,
      shares: new Map([...counts].map(([shard, n]) => [shard, { share: n / total, requests: n }])),
      keysMoved,
    })
  }
  return out
}

function collect(ctx: ReportContext): CellShards[] {
  const measured = fromRuns(ctx)
  const partitions = ctx.suite.analysis?.partitions ?? []
  if (partitions.length === 0) return measured
  // Prefer the analysis's shares (it may have averaged repetitions differently) and keep request counts from the runs.
  return partitions.map((p) => {
    const m = measured.find((c) => c.cellLabel === p.cellLabel)
    return {
      cellLabel: p.cellLabel,
      shares: new Map(Object.entries(p.shareByShard).map(([shard, share]) => [shard, { share, requests: m?.shares.get(shard)?.requests }])),
      keysMoved: p.keysMovedIfShardAdded ?? m?.keysMoved,
    }
  })
}

export function shardRows(ctx: ReportContext): ShardRow[] {
  const rows: ShardRow[] = []
  for (const cell of collect(ctx)) {
    const entries = [...cell.shares].filter(([, v]) => Number.isFinite(v.share)).sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }))
    if (entries.length === 0) continue
    const max = Math.max(...entries.map(([, v]) => v.share))
    const even = 1 / entries.length
    for (const [shard, v] of entries) {
      const hottest = v.share === max
      rows.push({
        cellLabel: cell.cellLabel,
        shard,
        requests: v.requests,
        share: v.share,
        hottest,
        hot: hottest && entries.length > 1 && v.share > even * HOT_SHARD_FACTOR,
      })
    }
  }
  return rows
}

export function renderShardShareSection(ctx: ReportContext): ReportSection | null {
  const rows = shardRows(ctx)
  if (rows.length === 0) return null
  const cells = [...new Set(rows.map((r) => r.cellLabel))]
  const shards = [...new Set(rows.map((r) => r.shard))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  const perCell = cells.map((c) => rows.filter((r) => r.cellLabel === c))
  const shardsPerCell = perCell[0]!.length
  const even = perCell.every((r) => r.length === shardsPerCell) && shardsPerCell > 1 ? 1 / shardsPerCell : undefined
  const spec: ChartSpec = {
    id: ctx.charts.id('shard-share'),
    title: 'Load share per shard',
    labels: shards.map((s) => `shard ${s}`),
    x: { title: 'shard', type: 'category', format: 'number' },
    y: { title: 'share of shard requests', type: 'linear', format: 'percent', min: 0 },
    legend: cells.length > 1,
    refLines: even !== undefined ? [{ axis: 'y', value: even, label: `even share ${formatPercent(even)}`, color: '#6b7280', dashed: true }] : [],
    datasets: cells.map((cell) => {
      const color = seriesColor(ctx.cells.findIndex((c) => c.cellLabel === cell))
      const cellRows = rows.filter((r) => r.cellLabel === cell)
      return {
        label: cell,
        kind: 'bar' as const,
        color,
        data: shards.map((s) => cellRows.find((r) => r.shard === s)?.share ?? null),
        barColors: shards.map((s) => (cellRows.find((r) => r.shard === s)?.hot ? COLORS.hot : color)),
      }
    }),
  }
  const hotCells = cells.filter((c) => rows.some((r) => r.cellLabel === c && r.hot))
  const keysMoved = collect(ctx).filter((c) => typeof c.keysMoved === 'number')
  const table = dataTable(
    [
      { header: 'Configuration', cell: (r: ShardRow) => r.cellLabel },
      { header: 'Shard', cell: (r) => html`${r.shard}${r.hot ? html` <span class="tag fail">hot</span>` : ''}` },
      { header: 'Requests', numeric: true, cell: (r) => formatCount(r.requests) },
      { header: 'Share', numeric: true, cell: (r) => formatPercent(r.share), className: (r) => (r.hot ? 'fail' : undefined) },
    ],
    rows,
  )
  return {
    id: 'shards',
    title: 'Load share per shard',
    body: html`<p class="lede">${
      hotCells.length > 0
        ? html`<strong>Hot shard:</strong> in ${hotCells.join(', ')} one shard carries more than ${formatNumber(HOT_SHARD_FACTOR)}× an even share (red bar).`
        : 'Requests per shard; no shard carries much more than an even share.'
    }${keysMoved.length > 0 ? html` Adding one shard would move ${keysMoved.map((c) => `${formatPercent(c.keysMoved)} of keys (${c.cellLabel})`).join(', ')}.` : ''}</p>
${ctx.charts.figure(spec, table, { wide: true })}`,
  }
}
