import type { KneePoint } from '../../../results/results-schema.js'
import type { ChartSpec, RefLine } from '../chart-spec.js'
import { dataTable } from '../data-table.js'
import { formatMs, formatPercent, formatRps } from '../format.js'
import { COLORS } from '../palette.js'
import type { ReportContext, ReportSection } from '../report-context.js'
import { html } from '../safe-html.js'

// The stress knee: latency against the offered rate. Latency stays flat until the service
// saturates, then climbs steeply; the highest rate still inside the SLO is the max sustainable rate.

export function renderKneeSection(ctx: ReportContext): ReportSection | null {
  const knee = ctx.suite.analysis?.knee
  const points = (knee?.points ?? []).filter((p) => Number.isFinite(p.offeredRps)).sort((a, b) => a.offeredRps - b.offeredRps)
  if (!knee || points.length === 0) return null
  const slo = ctx.suite.scenario.slo
  const stat = slo?.latency.stat ?? 'p95'
  const refLines: RefLine[] = []
  if (slo) refLines.push({ axis: 'y', value: slo.latency.belowMs, label: `SLO: ${stat} < ${formatMs(slo.latency.belowMs)}`, color: COLORS.slo, dashed: true })
  if (knee.maxSustainableRps !== null && Number.isFinite(knee.maxSustainableRps)) {
    refLines.push({ axis: 'x', value: knee.maxSustainableRps, label: `max sustainable ≈ ${formatRps(knee.maxSustainableRps)}`, color: COLORS.pass })
  }
  const spec: ChartSpec = {
    id: ctx.charts.id('knee'),
    title: `Offered rate against ${stat} latency`,
    x: { title: 'offered rate (req/s)', type: 'linear', format: 'rps', min: 0 },
    y: { title: `${stat} latency (ms)`, type: 'linear', format: 'ms', min: 0 },
    y2: { title: 'achieved (req/s)', type: 'linear', format: 'rps', min: 0 },
    refLines,
    datasets: [
      {
        label: `${stat} latency`,
        kind: 'line',
        color: COLORS.p95,
        pointRadius: 4,
        pointColors: points.map((p) => (p.sloOk ? COLORS.pass : COLORS.fail)),
        data: points.map((p) => ({ x: p.offeredRps, y: Number.isFinite(p.latency) ? p.latency : null })),
      },
      {
        label: 'achieved req/s',
        kind: 'line',
        axis: 'y2',
        color: COLORS.rps,
        dashed: true,
        pointRadius: 2,
        data: points.map((p) => ({ x: p.offeredRps, y: Number.isFinite(p.achievedRps) ? p.achievedRps : null })),
      },
    ],
  }
  const table = dataTable(
    [
      { header: 'Offered', numeric: true, cell: (p: KneePoint) => formatRps(p.offeredRps) },
      { header: 'Achieved', numeric: true, cell: (p) => formatRps(p.achievedRps) },
      { header: stat, numeric: true, cell: (p) => formatMs(p.latency) },
      { header: 'Error rate', numeric: true, cell: (p) => formatPercent(p.errorRate) },
      { header: 'Within SLO', cell: (p) => (p.sloOk ? '✓ yes' : '✘ no') },
    ],
    points,
  )
  return {
    id: 'knee',
    title: 'Stress knee',
    body: html`<p class="lede">${
      knee.maxSustainableRps !== null
        ? html`Highest rate within the SLO: <strong>${formatRps(knee.maxSustainableRps)}</strong>.`
        : 'No tested rate stayed within the SLO.'
    } ${knee.sloText ? html`SLO: ${knee.sloText}.` : ''} ${knee.evidence}</p>
${ctx.charts.figure(spec, table, { wide: true, caption: 'green points met the SLO, red points missed it' })}`,
  }
}
