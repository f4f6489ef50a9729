import type { UslFit } from '../../../results/results-schema.js'
import type { ChartSpec, RefLine } from '../chart-spec.js'
import { dataTable } from '../data-table.js'
import { formatNumber, formatPercent, formatRps } from '../format.js'
import { COLORS } from '../palette.js'
import type { ReportContext, ReportSection } from '../report-context.js'
import { html } from '../safe-html.js'

// The scale-out curve: measured throughput per replica count, the Universal Scalability Law fit
// X(N) = λN / (1 + σ(N−1) + κN(N−1)) through it, linear scaling for reference, and N*, the
// replica count after which adding replicas makes throughput worse.

/** USL throughput at N replicas. */
export function uslThroughput(fit: Pick<UslFit, 'sigma' | 'kappa' | 'lambda'>, n: number): number {
  return (fit.lambda * n) / (1 + fit.sigma * (n - 1) + fit.kappa * n * (n - 1))
}

export function renderScalabilitySection(ctx: ReportContext): ReportSection | null {
  const fit = ctx.suite.analysis?.scalability
  const points = (fit?.points ?? []).filter((p) => Number.isFinite(p.n) && Number.isFinite(p.throughput)).sort((a, b) => a.n - b.n)
  if (!fit || points.length === 0) return null
  const maxMeasured = Math.max(...points.map((p) => p.n))
  const fitUsable = [fit.sigma, fit.kappa, fit.lambda].every(Number.isFinite) && fit.lambda > 0
  // Draw the fit a little past the data, and far enough to show N* when it is near.
  const nStar = fit.nStar !== null && Number.isFinite(fit.nStar) ? fit.nStar : undefined
  const curveEnd = Math.max(maxMeasured * 1.5, nStar !== undefined && nStar < maxMeasured * 3 ? nStar * 1.3 : 0, maxMeasured + 1)
  const curve: Array<{ x: number; y: number | null }> = []
  if (fitUsable) {
    for (let i = 0; i <= 60; i++) {
      const n = 1 + ((curveEnd - 1) * i) / 60
      const y = uslThroughput(fit, n)
      curve.push({ x: n, y: Number.isFinite(y) ? y : null })
    }
  }
  const plan = ctx.suite.analysis?.capacityPlan
  const refLines: RefLine[] = []
  if (nStar !== undefined && nStar <= curveEnd) {
    refLines.push({
      axis: 'x',
      value: nStar,
      label: `N* ≈ ${formatNumber(nStar)}${fit.xStar !== null ? ` (${formatRps(fit.xStar)})` : ''}`,
      color: COLORS.fail,
    })
  }
  if (plan && Number.isFinite(plan.targetRps)) {
    refLines.push({ axis: 'y', value: plan.targetRps, label: `target ${formatRps(plan.targetRps)}`, color: COLORS.neutral, dashed: true })
  }
  const spec: ChartSpec = {
    id: ctx.charts.id('scalability'),
    title: 'Throughput by replica count',
    x: { title: 'replicas (N)', type: 'linear', format: 'replicas', min: 0 },
    y: { title: 'throughput (req/s)', type: 'linear', format: 'rps', min: 0 },
    refLines,
    datasets: [
      { label: 'measured', kind: 'scatter', color: COLORS.rps, pointRadius: 5, data: points.map((p) => ({ x: p.n, y: p.throughput })) },
      ...(fitUsable ? [{ label: 'USL fit', kind: 'line' as const, color: COLORS.fit, pointRadius: 0, data: curve }] : []),
      ...(fitUsable
        ? [
            {
              label: 'linear scaling',
              kind: 'line' as const,
              color: COLORS.ideal,
              dashed: true,
              pointRadius: 0,
              data: [1, maxMeasured].map((n) => ({ x: n, y: fit.lambda * n })),
            },
          ]
        : []),
    ],
  }
  const table = dataTable(
    [
      { header: 'Replicas', numeric: true, cell: (p: UslFit['points'][number]) => formatNumber(p.n) },
      { header: 'Measured', numeric: true, cell: (p) => formatRps(p.throughput) },
      { header: 'USL fit', numeric: true, cell: (p) => formatRps(p.fitted) },
      { header: 'Residual', numeric: true, cell: (p) => formatNumber(p.residual) },
      { header: 'Efficiency', numeric: true, cell: (p) => formatPercent(p.efficiency) },
    ],
    points,
  )
  const params = html`<dl class="params">
<div><dt>σ contention</dt><dd>${formatNumber(fit.sigma)}</dd></div>
<div><dt>κ coherency</dt><dd>${formatNumber(fit.kappa)}</dd></div>
<div><dt>λ per replica</dt><dd>${formatRps(fit.lambda)}</dd></div>
<div><dt>R²</dt><dd>${formatNumber(fit.r2)}</dd></div>
<div><dt>N*</dt><dd>${nStar !== undefined ? formatNumber(nStar) : 'none (no peak)'}</dd></div>
<div><dt>X(N*)</dt><dd>${fit.xStar !== null ? formatRps(fit.xStar) : '—'}</dd></div>
</dl>`
  return {
    id: 'scalability',
    title: 'Scale-out',
    body: html`<p class="lede">${
      fit.warning
        ? 'The fit cannot be used to plan replicas from these measurements:'
        : nStar !== undefined
          ? html`Throughput peaks at about <strong>${formatNumber(nStar)} replicas</strong>${fit.xStar !== null ? html` (${formatRps(fit.xStar)})` : ''}; beyond that, coordination costs more than a replica adds.`
          : 'The fit shows no peak in the range it can predict.'
    }</p>
${fit.warning ? html`<p class="note"><strong>Warning:</strong> ${fit.warning}</p>` : ''}
${fit.note ? html`<p class="note">${fit.note}</p>` : ''}
${params}
${ctx.charts.figure(spec, table, { wide: true, tall: true })}`,
  }
}
