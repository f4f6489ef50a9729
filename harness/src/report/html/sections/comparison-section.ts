import type { CellSummary, Comparison, Interval } from '../../../results/results-schema.js'
import type { ChartSpec } from '../chart-spec.js'
import { dataTable } from '../data-table.js'
import { formatCount, formatInterval, formatRelChange } from '../format.js'
import { METRIC_ORDER, metricInfo } from '../metric-names.js'
import { seriesColor } from '../palette.js'
import type { ReportContext, ReportSection } from '../report-context.js'
import { html, joinHtml, type SafeHtml } from '../safe-html.js'

// Configurations side by side: one bar per configuration with its confidence-interval whisker,
// so "is the difference real?" can be seen (overlapping whiskers: probably not), then the
// pairwise comparisons as the analysis stated them.

function finiteInterval(i: Interval | undefined): i is Interval {
  return !!i && Number.isFinite(i.estimate)
}

function metricChart(ctx: ReportContext, metric: string, cells: CellSummary[], winner: string | undefined): SafeHtml | null {
  const withValue = cells.filter((c) => finiteInterval(c.metrics[metric]))
  const intervalOf = (c: CellSummary): Interval => c.metrics[metric]! // only cells in withValue are asked
  if (withValue.length < 2) return null
  const info = metricInfo(metric)
  const spec: ChartSpec = {
    id: ctx.charts.id(`compare-${metric}`),
    title: info.title,
    labels: withValue.map((c) => c.cellLabel),
    x: { title: 'configuration', type: 'category', format: 'number' },
    y: {
      title: info.title,
      type: 'linear',
      format: info.format,
      min: 0,
      // Leave room for the whiskers above the tallest bar.
      suggestedMax: Math.max(...withValue.map((c) => (Number.isFinite(intervalOf(c).hi) ? intervalOf(c).hi : intervalOf(c).estimate))) * 1.05,
    },
    legend: false,
    datasets: [
      {
        label: info.title,
        kind: 'bar',
        color: seriesColor(0),
        barColors: withValue.map((c) => seriesColor(ctx.cells.findIndex((g) => g.cellLabel === c.cellLabel))),
        data: withValue.map((c) => intervalOf(c).estimate),
        whiskers: withValue.map((c) => {
          const i = intervalOf(c)
          return Number.isFinite(i.lo) && Number.isFinite(i.hi) && i.hi > i.lo ? [i.lo, i.hi] : null
        }),
      },
    ],
  }
  const table = dataTable(
    [
      { header: 'Configuration', cell: (c: CellSummary) => html`${c.cellLabel}${c.cellLabel === winner ? html` <span class="tag pass">best</span>` : ''}` },
      { header: 'Estimate', numeric: true, cell: (c) => info.show(intervalOf(c).estimate) },
      { header: 'Low', numeric: true, cell: (c) => info.show(intervalOf(c).lo) },
      { header: 'High', numeric: true, cell: (c) => info.show(intervalOf(c).hi) },
      { header: 'n', numeric: true, cell: (c) => formatCount(intervalOf(c).n) },
      { header: 'Method', cell: (c) => intervalOf(c).method },
    ],
    withValue,
  )
  const caption = winner ? html`best: <strong>${winner}</strong> (significant)` : 'no significant winner'
  return ctx.charts.figure(spec, table, { caption })
}

export function renderComparisonSection(ctx: ReportContext): ReportSection | null {
  const analysis = ctx.suite.analysis
  if (!analysis) return null
  const cells = analysis.cells ?? []
  const comparisons = analysis.comparisons ?? []
  const metrics = [...new Set(cells.flatMap((c) => Object.keys(c.metrics)))].sort((a, b) => {
    const ia = METRIC_ORDER.indexOf(a)
    const ib = METRIC_ORDER.indexOf(b)
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b)
  })
  const charts = cells.length >= 2 ? metrics.map((m) => metricChart(ctx, m, cells, analysis.winners?.[m])).filter((c): c is SafeHtml => c !== null) : []
  if (charts.length === 0 && comparisons.length === 0) return null
  const comparisonTable =
    comparisons.length > 0
      ? dataTable(
          [
            { header: 'Metric', cell: (c: Comparison) => metricInfo(c.metric).title },
            { header: 'A', cell: (c) => c.a },
            { header: 'B', cell: (c) => c.b },
            {
              header: 'B vs A [CI]',
              numeric: true,
              cell: (c) =>
                c.relDiff.noInterval ? `${formatRelChange(c.relDiff.estimate)} (${c.relDiff.noInterval})` : formatInterval(c.relDiff, formatRelChange),
            },
            { header: 'Real?', cell: (c) => (c.significant ? '✓ real' : c.outcome === 'cannot-tell' ? 'cannot tell' : 'no difference') },
            { header: 'Better', cell: (c) => c.better ?? '' },
            { header: 'In words', cell: (c) => c.text },
          ],
          comparisons,
          'Pairwise comparisons',
        )
      : null
  const winners = Object.entries(analysis.winners ?? {})
  const significant = comparisons.filter((c) => c.significant && c.better !== null)
  return {
    id: 'comparison',
    title: 'Comparison',
    body: joinHtml([
      html`<p class="lede">${
        winners.length > 0
          ? html`Significant winners: ${winners.map(([m, cell], i) => html`${i > 0 ? '; ' : ''}<strong>${cell}</strong> on ${metricInfo(m).title.toLowerCase()}`)}.`
          : significant.length > 0
            ? // No one cell beats all others (e.g. lru and lfu both beat none but tie with each
              // other): say which pairs differ for real rather than "nothing is better".
              html`No single configuration beats all the others, but these differences are real: ${significant.map((c, i) => html`${i > 0 ? '; ' : ''}${c.text}`)}.`
            : comparisons.length === 0
              ? 'No pairwise comparisons here: the configurations differ in more than one setting, or form a curve analysed in its own section (replica counts: Scalability).'
              : comparisons.some((c) => c.outcome === 'cannot-tell')
                ? 'The data cannot tell whether the configurations differ: no interval excludes zero, and some are missing or too wide to rule out large differences (see the table); more repetitions would tell.'
                : 'No configuration is significantly better than the others on any metric, and the intervals rule out large differences.'
      } Whiskers show each estimate's confidence interval.</p>`,
      charts.length > 0 ? html`<div class="chart-grid">${charts}</div>` : null,
      comparisonTable,
    ]),
  }
}
