import type { FaultEvent, RunResult, ValidityNote } from '../../../results/results-schema.js'
import { dataTable } from '../data-table.js'
import { describeMix, describeTopology } from '../describe-run.js'
import { formatCount, formatMs, formatNumber, formatPercent, MISSING } from '../format.js'
import type { ReportContext, ReportSection } from '../report-context.js'
import { html, joinHtml } from '../safe-html.js'

// Can these numbers be trusted? The machine, how the load was generated and whether the
// generator kept up, coordinated omission, data correctness (stale reads, lost writes), and
// everything the runs and the analysis flagged.

/** A generator busier than this (share of one core) may have delayed its own requests. */
export const GENERATOR_CPU_WARNING = 0.85

export function renderValiditySection(ctx: ReportContext): ReportSection {
  const { suite } = ctx
  const m = suite.machine
  const machine = html`<dl class="params">
<div><dt>Host</dt><dd>${m.hostname}</dd></div>
<div><dt>Platform</dt><dd>${m.platform}</dd></div>
<div><dt>CPU</dt><dd>${formatCount(m.cpus)} × ${m.cpuModel}</dd></div>
<div><dt>Memory</dt><dd>${formatCount(m.memoryMb)} MB</dd></div>
<div><dt>Node.js</dt><dd>${m.node}</dd></div>
</dl>`

  const generatorTable =
    suite.runs.length > 0
      ? dataTable(
          [
            { header: 'Run', cell: (r: RunResult) => r.id },
            { header: 'Engine', cell: (r) => r.engine },
            { header: 'Topology', cell: (r) => describeTopology(r.topology) },
            { header: 'Mix', cell: (r) => describeMix(r.workload) },
            {
              header: 'Generator CPU',
              numeric: true,
              cell: (r) => formatPercent(r.generator?.cpu),
              className: (r) => ((r.generator?.cpu ?? 0) > GENERATOR_CPU_WARNING ? 'warn' : undefined),
            },
            { header: 'Loop lag p99', numeric: true, cell: (r) => formatMs(r.generator?.eventLoopLagP99Ms) },
            {
              header: 'Agents',
              numeric: true,
              cell: (r) => {
                const agents = r.generator?.agents
                return agents ? `${agents.filter((a) => a.status === 'done').length} of ${agents.length} done` : MISSING
              },
              className: (r) => (r.generator?.agents?.some((a) => a.status !== 'done') ? 'warn' : undefined),
            },
            { header: 'Schedule lag p99', numeric: true, cell: (r) => formatMs(r.generator?.scheduleLag?.p99Ms) },
            {
              header: 'Connections opened while measuring',
              numeric: true,
              cell: (r) => formatCount(r.generator?.connections?.openedDuringRun),
              className: (r) => ((r.generator?.connections?.openedDuringRun ?? 0) > 0 ? 'warn' : undefined),
            },
            { header: 'Max in flight', numeric: true, cell: (r) => formatCount(r.generator?.maxInFlight) },
            {
              header: 'Dropped',
              numeric: true,
              cell: (r) => formatCount(r.metrics.dropped_iterations.count),
              className: (r) => (r.metrics.dropped_iterations.count > 0 ? 'warn' : undefined),
            },
          ],
          suite.runs,
          'Load generation',
        )
      : null

  const openRuns = suite.runs.filter((r) => r.load?.model === 'open' || r.engine === 'native')
  const coordinatedOmission =
    openRuns.length > 0
      ? html`<h3>Coordinated omission</h3>
<p class="lede">The open-model engine times each request from when it was due to start, so a stalled service cannot hide its stall by slowing the generator down. The uncorrected figure, timed from when the request actually went out, is shown for comparison; a large gap means requests queued in the generator.</p>
${dataTable(
  [
    { header: 'Run', cell: (r: RunResult) => r.id },
    { header: 'p99 corrected', numeric: true, cell: (r) => formatMs(r.metrics.http_req_duration.p99) },
    { header: 'p99 uncorrected', numeric: true, cell: (r) => formatMs(r.metrics.http_req_duration_uncorrected?.p99) },
    {
      header: 'Gap',
      numeric: true,
      cell: (r) => formatMs(r.metrics.http_req_duration.p99 - (r.metrics.http_req_duration_uncorrected?.p99 ?? Number.NaN)),
    },
  ],
  openRuns,
)}`
      : suite.runs.length > 0
        ? html`<h3>Coordinated omission</h3><p class="lede">All runs used a closed model (a fixed number of connections): a slow response delays the next request, so latency percentiles understate what users arriving at a steady rate would see. Use an open-model scenario to measure that.</p>`
        : null

  const correctnessRuns = suite.runs.filter((r) => (r.metrics.stale_reads?.checked ?? 0) > 0 || r.metrics.lost_writes !== undefined)
  const correctness =
    correctnessRuns.length > 0
      ? html`<h3>Data correctness</h3>${dataTable(
          [
            { header: 'Run', cell: (r: RunResult) => r.id },
            {
              header: 'Stale reads',
              numeric: true,
              cell: (r) => formatCount(r.metrics.stale_reads?.count),
              className: (r) => ((r.metrics.stale_reads?.count ?? 0) > 0 ? 'fail' : undefined),
            },
            { header: 'Reads checked', numeric: true, cell: (r) => formatCount(r.metrics.stale_reads?.checked) },
            {
              header: 'Lost writes',
              numeric: true,
              cell: (r) => formatCount(r.metrics.lost_writes?.count),
              className: (r) => ((r.metrics.lost_writes?.count ?? 0) > 0 ? 'fail' : undefined),
            },
            { header: 'Writes checked', numeric: true, cell: (r) => formatCount(r.metrics.lost_writes?.checked) },
            {
              header: 'Writes unverified',
              numeric: true,
              cell: (r) => formatCount(r.metrics.lost_writes?.unverified),
              className: (r) =>
                (r.metrics.lost_writes?.unverified ?? 0) === 0 ? undefined : (r.metrics.lost_writes?.unverifiedExplainedBy ?? []).length > 0 ? 'warn' : 'fail',
            },
            {
              header: 'Unverified explained by',
              cell: (r) =>
                (r.metrics.lost_writes?.unverified ?? 0) === 0
                  ? ''
                  : (r.metrics.lost_writes?.unverifiedExplainedBy ?? []).join(', ') || 'no fault of the scenario',
            },
          ],
          correctnessRuns,
        )}`
      : null

  const notes = suite.runs.flatMap((r) => (r.validity ?? []).map((n) => ({ run: r.id, ...n })))
  const order: Record<ValidityNote['level'], number> = { error: 0, warning: 1, info: 2 }
  notes.sort((a, b) => order[a.level] - order[b.level])
  const notesTable =
    notes.length > 0
      ? html`<h3>Run notes</h3>${dataTable(
          [
            {
              header: 'Level',
              cell: (n: (typeof notes)[number]) =>
                html`<span class="tag ${n.level === 'info' ? '' : n.level === 'warning' ? 'warn' : 'fail'}">${n.level}</span>`,
            },
            { header: 'Run', cell: (n) => n.run },
            { header: 'Kind', cell: (n) => n.code },
            { header: 'Message', cell: (n) => n.message },
          ],
          notes,
        )}`
      : null

  const analysisNotes = suite.analysis?.notes ?? []
  const analysisBlock = analysisNotes.length > 0 ? html`<h3>Analysis notes</h3><ul class="notes">${analysisNotes.map((n) => html`<li>${n}</li>`)}</ul>` : null

  const failedRuns = suite.runs.filter((r) => r.status !== 'ok' || r.error)
  const failedFaults = suite.runs.flatMap((r) => (r.faults ?? []).filter((f) => !f.ok).map((f) => ({ run: r.id, ...f })))
  const errorsBlock =
    failedRuns.length > 0 || failedFaults.length > 0
      ? html`<h3>Run errors</h3>${
          failedRuns.length > 0
            ? dataTable(
                [
                  { header: 'Run', cell: (r: RunResult) => r.id },
                  { header: 'Status', cell: (r) => html`<span class="tag fail">${r.status}</span>` },
                  { header: 'Error', cell: (r) => html`<pre class="error">${r.error ?? ''}</pre>` },
                ],
                failedRuns,
              )
            : ''
        }${
          failedFaults.length > 0
            ? dataTable(
                [
                  { header: 'Run', cell: (f: FaultEvent & { run: string }) => f.run },
                  { header: 'Fault', cell: (f) => `${f.action} ${f.member} at ${formatNumber(f.elapsedS)} s` },
                  { header: 'Error', cell: (f) => f.error ?? '' },
                ],
                failedFaults,
                'Faults that could not be injected',
              )
            : ''
        }`
      : null

  return {
    id: 'validity',
    title: 'Validity',
    body: joinHtml([html`<h3>Machine</h3>${machine}`, generatorTable, coordinatedOmission, correctness, notesTable, analysisBlock, errorsBlock]),
  }
}
