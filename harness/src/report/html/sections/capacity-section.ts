import type { CapacityPlan } from '../../../results/results-schema.js'
import { dataTable } from '../data-table.js'
import { formatCount, formatNumber, formatPercent, formatRps } from '../format.js'
import type { ReportContext, ReportSection } from '../report-context.js'
import { html } from '../safe-html.js'

// The capacity plan in one sentence a stakeholder can repeat, with its inputs.

/** Headroom is a fraction (0.3 = 30 % spare); larger numbers are shown as given. */
function formatHeadroom(h: number): string {
  return Number.isFinite(h) && h >= 0 && h <= 1 ? formatPercent(h) : formatNumber(h)
}

export function capacitySentence(plan: CapacityPlan): string {
  if (plan.replicas === null) {
    return `No replica count reaches ${formatRps(plan.targetRps)} with ${formatHeadroom(plan.headroom)} headroom.`
  }
  return `Run ${formatCount(plan.replicas)} replica${plan.replicas === 1 ? '' : 's'} to serve ${formatRps(plan.targetRps)} with ${formatHeadroom(plan.headroom)} headroom.`
}

export function renderCapacitySection(ctx: ReportContext): ReportSection | null {
  const plan = ctx.suite.analysis?.capacityPlan
  if (!plan) return null
  const table = dataTable(
    [
      { header: 'Target load', numeric: true, cell: (p: CapacityPlan) => formatRps(p.targetRps) },
      { header: 'Headroom', numeric: true, cell: (p) => formatHeadroom(p.headroom) },
      { header: 'Replicas', numeric: true, cell: (p) => (p.replicas !== null ? formatCount(p.replicas) : 'not reachable') },
      { header: 'Why', cell: (p) => p.reason },
    ],
    [plan],
  )
  return {
    id: 'capacity',
    title: 'Capacity plan',
    body: html`<p class="plan ${plan.replicas === null ? 'fail' : 'pass'}"><strong>${capacitySentence(plan)}</strong> ${plan.reason}</p>
${table}`,
  }
}
