import type { ReportContext } from '../report-context.js'
import { formatDateTime, formatDuration } from '../format.js'
import { html, type SafeHtml } from '../safe-html.js'

// The top of the page: what was tested and when, then the verdict a stakeholder can repeat.

export function renderPageHeader(ctx: ReportContext): SafeHtml {
  const { suite } = ctx
  const started = new Date(suite.startedAt).getTime()
  const finished = new Date(suite.finishedAt).getTime()
  const durationS = Number.isFinite(started) && Number.isFinite(finished) ? (finished - started) / 1000 : undefined
  const cellCount = ctx.cells.length
  const passed = suite.verdict.passed
  return html`<header class="page-header">
<div class="eyebrow">LoadLab report · <span class="kind">${suite.scenario.kind}</span></div>
<h1>${suite.scenario.name}</h1>
${suite.scenario.description ? html`<p class="description">${suite.scenario.description}</p>` : ''}
<dl class="meta">
<div><dt>Started</dt><dd>${formatDateTime(suite.startedAt)}</dd></div>
<div><dt>Duration</dt><dd>${formatDuration(durationS)}</dd></div>
<div><dt>Runs</dt><dd>${suite.runs.length} run${suite.runs.length === 1 ? '' : 's'} in ${cellCount} configuration${cellCount === 1 ? '' : 's'}</dd></div>
${suite.scenario.file ? html`<div><dt>Scenario file</dt><dd><code>${suite.scenario.file}</code></dd></div>` : ''}
<div><dt>Tool</dt><dd>${suite.tool.name} ${suite.tool.version}</dd></div>
</dl>
</header>
<section class="verdict ${passed ? 'pass' : 'fail'}" id="verdict" aria-label="Verdict">
<span class="badge ${passed ? 'pass' : 'fail'}">${passed ? '✔ PASS' : '✘ FAIL'}</span>
<p class="verdict-text">${suite.verdict.text}</p>
<span class="exit-code">exit code ${suite.verdict.exitCode}</span>
</section>`
}
