import type { BaselineChange, ThresholdOutcome } from '../../../results/results-schema.js'
import { dataTable } from '../data-table.js'
import { formatInterval, formatNumber, formatPercent, formatRelChange } from '../format.js'
import type { ReportContext, ReportSection } from '../report-context.js'
import { html, joinHtml } from '../safe-html.js'

// The CI gates: every threshold with the value it compared, and the baseline comparison.

function formatValue(metric: string, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'not measured'
  // Rates are shares (http_req_failed, availability, cache_hit_rate); durations are ms.
  if (/(_failed|availability|_rate)\b/.test(metric)) return formatPercent(value)
  if (/duration/.test(metric)) return `${formatNumber(value)} ms`
  return formatNumber(value)
}

export function renderGatesSection(ctx: ReportContext): ReportSection | null {
  const gates = ctx.suite.gates
  if (!gates) return null
  const thresholds = gates.thresholds ?? []
  const baseline = gates.baseline
  if (thresholds.length === 0 && !baseline) return null
  const failed = thresholds.filter((t) => !t.passed).length
  const thresholdTable =
    thresholds.length > 0
      ? dataTable(
          [
            { header: '', cell: (t: ThresholdOutcome) => (t.passed ? '✓ pass' : '✘ fail') },
            { header: 'Metric', cell: (t) => html`<code>${t.metric}</code>` },
            { header: 'Threshold', cell: (t) => html`<code>${t.expression}</code>${t.abortOnFail ? html` <span class="tag">abortOnFail</span>` : ''}` },
            { header: 'Measured', numeric: true, cell: (t) => formatValue(t.metric, t.value), className: (t) => (t.passed ? undefined : 'fail') },
            { header: 'Run', cell: (t) => t.runId },
            { header: 'Note', cell: (t) => t.message ?? '' },
          ],
          thresholds,
          'Thresholds',
        )
      : null
  const unsure = baseline?.changes.some((c) => c.outcome === 'cannot-tell' || c.outcome === 'inconclusive') ?? false
  const baselineBlock = baseline
    ? html`<h3>Baseline <span class="tag ${baseline.passed ? 'pass' : 'fail'}">${baseline.passed ? (unsure ? 'no regression proven' : 'no regression') : 'regression'}</span></h3>
<p class="lede">Compared with <code>${baseline.file}</code>${baseline.history ? ` (a history of ${baseline.history.runs} runs in ${baseline.history.files} results)` : ''}, tolerance ${formatPercent(baseline.tolerance)}. A regression fails the gate only when the whole interval lies beyond the tolerance; “cannot tell” means the data allow both.</p>
${(baseline.notes ?? []).length > 0 ? html`<ul>${(baseline.notes ?? []).map((n) => html`<li>${n}</li>`)}</ul>` : ''}
${
  baseline.changes.length > 0
    ? dataTable(
        [
          {
            header: '',
            cell: (c: BaselineChange) => (c.regression ? '✘ fail' : c.outcome === 'cannot-tell' || c.outcome === 'inconclusive' ? '? cannot tell' : '✓ pass'),
          },
          { header: 'Metric', cell: (c) => c.metric },
          { header: 'Configuration', cell: (c) => c.cellLabel },
          { header: 'Baseline', numeric: true, cell: (c) => formatValue(c.metric, c.baseline) },
          { header: 'Now', numeric: true, cell: (c) => formatValue(c.metric, c.current) },
          {
            header: 'Change [CI]',
            numeric: true,
            cell: (c) =>
              c.noInterval
                ? `${formatRelChange(c.relChange)} (${c.noInterval})`
                : formatInterval({ estimate: c.relChange, lo: c.ci?.[0], hi: c.ci?.[1] }, formatRelChange),
            className: (c) => (c.regression ? 'fail' : undefined),
          },
          { header: 'Runs', numeric: true, cell: (c) => (c.runs ? `${c.runs.baseline} vs ${c.runs.current}` : '') },
          { header: 'What the interval says', cell: (c) => c.text ?? (c.significant ? 'significant' : '') },
        ],
        baseline.changes,
      )
    : html`<p>No comparable metrics.</p>`
}`
    : null
  return {
    id: 'gates',
    title: 'Gates',
    body: joinHtml([
      html`<p class="lede"><span class="badge ${gates.passed ? 'pass' : 'fail'}">${gates.passed ? '✔ gates passed' : '✘ gates failed'}</span> ${
        thresholds.length > 0 ? `${thresholds.length - failed} of ${thresholds.length} thresholds passed.` : ''
      }</p>`,
      thresholdTable,
      baselineBlock,
    ]),
  }
}
