import type { FaultEvent, RunResult, SuiteResult } from '../results/results-schema.js'
import type { PlannedRun, RunPlan } from '../scenario/plan-runs.js'
import type { ProgressTick, Reporter, RunPhase } from '../runner/reporter.js'
import { showInvisibles } from './visible-text.js'

export interface ConsoleReporterOptions {
  /** Progress and per-run lines (default process.stderr). */
  progress?: NodeJS.WritableStream & { isTTY?: boolean }
  /** The final table and verdict (default process.stdout). */
  out?: NodeJS.WritableStream
}

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2))
const fmtPct = (x: number): string => `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`
const fmtRate = (x: number): string => x.toFixed(x >= 100 ? 0 : 1)

/**
 * The terminal view of a suite: the plan, a live line per second while measuring (rate, p95,
 * errors, time left), one line per finished run with its warnings, and at the end a table, the
 * comparisons, the gates that failed and the verdict. Progress goes to stderr, the final table
 * to stdout, so `loadlab run ... > table.txt` keeps the result without the progress noise.
 * Text from scenarios and servers is written with its control and bidi characters made visible.
 */
export class ConsoleReporter implements Reporter {
  readonly name = 'console'
  private readonly progress: NodeJS.WritableStream & { isTTY?: boolean }
  private readonly out: NodeJS.WritableStream
  private liveLine = false
  private lastPrinted = 0

  constructor(opts: ConsoleReporterOptions = {}) {
    this.progress = opts.progress ?? process.stderr
    this.out = opts.out ?? process.stdout
  }

  onPlan(plan: RunPlan): void {
    const s = plan.scenario
    const cells = new Set(plan.runs.map((r) => r.cellLabel)).size
    this.line(
      `${s.name} (${s.kind}): ${plan.runs.length} run${plan.runs.length === 1 ? '' : 's'} = ${cells} cell${cells === 1 ? '' : 's'} x ${s.repetitions} repetition${s.repetitions === 1 ? '' : 's'}, about ${formatDuration(plan.estimatedS)}` +
        (s.kind === 'stress' ? ' at most (a ramp stops past the knee)' : ''),
    )
  }

  onRunStart(run: PlannedRun, index: number, total: number): void {
    this.line(`[${index + 1}/${total}] ${run.id}`)
  }

  onPhase(_run: PlannedRun, phase: RunPhase): void {
    if (phase === 'measuring' || phase === 'stopping') return
    this.status(`  ${phase}...`)
  }

  onProgress(t: ProgressTick): void {
    const left = Math.max(0, t.totalS - t.elapsedS)
    const text =
      `  ${t.elapsedS.toFixed(0)}/${t.totalS.toFixed(0)} s  ${fmtRate(t.rps)} req/s` +
      (t.offeredRate !== undefined ? ` (offered ${fmtRate(t.offeredRate)})` : '') +
      `  p95 ${fmtMs(t.p95)} ms  errors ${t.errors}` +
      (t.dropped > 0 ? `  dropped ${t.dropped}` : '') +
      `  ${left.toFixed(0)} s left`
    if (this.progress.isTTY) {
      this.status(text)
    } else if (Date.now() - this.lastPrinted >= 2_000) {
      this.lastPrinted = Date.now()
      this.line(text)
    }
  }

  onFault(_run: PlannedRun, e: FaultEvent): void {
    this.line(`  fault at ${e.elapsedS.toFixed(1)} s: ${e.action} ${e.member} ${e.ok ? `ok${e.detail ? ` (${e.detail})` : ''}` : `FAILED: ${e.error}`}`)
  }

  onSkip(run: PlannedRun, reason: string): void {
    this.line(`  skipped ${run.id}: ${reason}`)
  }

  onRunEnd(r: RunResult): void {
    const mark = r.status === 'ok' ? 'ok' : r.status.toUpperCase()
    const m = r.metrics
    this.line(
      `  ${mark}: ${fmtRate(m.http_reqs.rate)} req/s, p95 ${fmtMs(m.http_req_duration.p95)} ms, p99 ${fmtMs(m.http_req_duration.p99)} ms, ` +
        `errors ${fmtPct(m.http_req_failed.rate)}` +
        (m.cache_hit_rate ? `, cache hits ${fmtPct(m.cache_hit_rate.rate)}` : '') +
        (m.lost_writes
          ? `, lost writes ${m.lost_writes.count} of ${m.lost_writes.checked} checked${m.lost_writes.unverified ? ` (${m.lost_writes.unverified} unverified)` : ''}`
          : '') +
        (m.checks ? `, checks ${fmtPct(m.checks.rate)}` : '') +
        (r.error ? ` - ${r.error}` : ''),
    )
    if (r.sync) {
      const lag = m.sync_lag
      this.line(
        `    sync ${r.sync.strategy}: lag p50 ${fmtMs(lag?.p50 ?? 0)} ms, p95 ${fmtMs(lag?.p95 ?? 0)} ms, p99 ${fmtMs(lag?.p99 ?? 0)} ms; ` +
          `missing ${m.sync_missing?.count ?? 0} of ${m.sync_missing?.checked ?? 0}, duplicates ${m.sync_duplicates?.count ?? 0}, ` +
          `peak backlog ${Math.max(0, ...r.sync.backlog)}, drained ${r.sync.drainS === null ? 'not within the timeout' : `in ${r.sync.drainS} s`}` +
          (r.sync.recoveryS === null ? '' : `, recovered ${r.sync.recoveryS} s after the last fault`),
      )
    }
    // The first failing response of each failed check: usually enough to see what went wrong.
    for (const f of (m.check_failures ?? []).slice(0, 5)) {
      const body = f.body.replace(/\s+/g, ' ').slice(0, 160)
      this.line(`    check failed ${f.count}x: ${f.op}: ${f.check} (first: ${f.status === 0 ? 'no response' : `HTTP ${f.status}`}${body ? ` ${body}` : ''})`)
    }
    for (const note of r.validity) {
      if (note.level !== 'info') this.line(`    ${note.level}: ${note.message}`)
    }
  }

  onEnd(suite: SuiteResult): void {
    this.clearStatus()
    const out: string[] = ['', renderRunTable(suite)]
    const cells = suite.analysis?.cells.filter((c) => c.runs.length > 1) ?? []
    if (cells.length > 0) {
      out.push('', 'Per cell (mean and 95% interval over repetitions):')
      for (const c of cells) {
        const parts = ['rps', 'p95', 'error_rate', 'cache_hit_rate']
          .filter((k) => c.metrics[k])
          .map((k) => {
            const i = c.metrics[k]!
            const f = k === 'rps' ? fmtRate : k === 'p95' ? (x: number) => `${fmtMs(x)} ms` : fmtPct
            // An interval from two repetitions can reach past what the metric can be; show the possible part.
            const hiCap = k === 'error_rate' || k === 'cache_hit_rate' ? 1 : Number.POSITIVE_INFINITY
            return `${k} ${f(i.estimate)} [${f(Math.max(0, i.lo))}, ${f(Math.min(hiCap, i.hi))}]`
          })
        out.push(`  ${c.cellLabel}: ${parts.join('  ')}`)
      }
    }
    const comparisons = suite.analysis?.comparisons.filter((c) => c.significant) ?? []
    if (comparisons.length > 0) {
      out.push('', 'Significant differences:')
      for (const c of comparisons.slice(0, 12)) out.push(`  ${c.text}`)
    }
    const a = suite.analysis
    if (a?.knee)
      out.push(
        '',
        `Knee: ${a.knee.maxSustainableRps === null ? 'not found' : `${fmtRate(a.knee.maxSustainableRps)} req/s`} (${a.knee.sloText}) - ${a.knee.evidence}`,
      )
    if (a?.scalability)
      out.push(
        '',
        `USL fit: sigma ${a.scalability.sigma.toFixed(3)}, kappa ${a.scalability.kappa.toFixed(4)}, R2 ${a.scalability.r2.toFixed(3)}${a.scalability.note ? ` (${a.scalability.note})` : ''}`,
      )
    if (a?.scalability?.warning) out.push(`WARNING: ${a.scalability.warning}`)
    if (a?.capacityPlan) out.push(`Capacity plan: ${a.capacityPlan.reason}`)
    const failed = suite.gates?.thresholds.filter((t) => !t.passed) ?? []
    if (failed.length > 0) {
      out.push('', 'Failed thresholds:')
      for (const t of failed) {
        out.push(`  ${t.runId}: ${t.metric} ${t.expression} (measured ${t.value === null ? 'n/a' : +t.value.toFixed(4)})${t.message ? ` - ${t.message}` : ''}`)
      }
    }
    const checkFailures = suite.runs.flatMap((r) => (r.metrics.check_failures ?? []).map((f) => ({ run: r.id, ...f })))
    if (checkFailures.length > 0) {
      out.push('', 'Failed checks (first failing response):')
      for (const f of checkFailures.slice(0, 10)) {
        const body = f.body.replace(/\s+/g, ' ').slice(0, 160)
        out.push(`  ${f.run}: ${f.op}: ${f.check} failed ${f.count}x (${f.status === 0 ? 'no response' : `HTTP ${f.status}`}${body ? ` ${body}` : ''})`)
      }
      if (checkFailures.length > 10) out.push(`  ... ${checkFailures.length - 10} more in results.json (check_failures) and the report`)
    }
    const baseline = suite.gates?.baseline
    if (baseline) {
      const regressions = baseline.changes.filter((c) => c.regression)
      const history = baseline.history ? ` (history: ${baseline.history.runs} runs in ${baseline.history.files} results)` : ''
      out.push(
        '',
        `Baseline ${baseline.file}${history}: ${regressions.length > 0 ? `${regressions.length} regression(s) beyond` : 'no regression beyond'} the tolerance of ${fmtPct(baseline.tolerance)}`,
      )
      for (const c of baseline.changes) out.push(`  ${c.cellLabel}: ${c.text ?? `${c.metric} ${fmtPct(c.relChange)}`}`)
      for (const n of baseline.notes ?? []) out.push(`  note: ${n}`)
    }
    out.push('', `${suite.verdict.passed ? 'PASS' : 'FAIL'}: ${suite.verdict.text}`)
    this.out.write(`${showInvisibles(out.join('\n'))}\n`)
  }

  private status(text: string): void {
    if (!this.progress.isTTY) {
      if (!text.includes(' s left')) this.line(text)
      return
    }
    this.progress.write(`\r\x1b[2K${showInvisibles(text)}`)
    this.liveLine = true
  }

  private clearStatus(): void {
    if (this.liveLine) this.progress.write('\r\x1b[2K')
    this.liveLine = false
  }

  private line(text: string): void {
    this.clearStatus()
    this.progress.write(`${showInvisibles(text)}\n`)
  }
}

/** One row per run: the numbers a reader looks at first. */
export function renderRunTable(suite: SuiteResult): string {
  const header = ['run', 'status', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'cache hits', 'notes']
  const rows = suite.runs.map((r) => {
    const m = r.metrics
    const warnings = r.validity.filter((n) => n.level !== 'info').map((n) => n.code)
    return [
      r.id,
      r.status,
      fmtRate(m.http_reqs.rate),
      fmtMs(m.http_req_duration.p50),
      fmtMs(m.http_req_duration.p95),
      fmtMs(m.http_req_duration.p99),
      fmtPct(m.http_req_failed.rate),
      m.cache_hit_rate ? fmtPct(m.cache_hit_rate.rate) : '-',
      [...new Set(warnings)].join(','),
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const render = (row: string[]): string =>
    row
      .map((cell, i) => (i >= 2 && i <= 7 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...rows.map(render)].join('\n')
}

function formatDuration(s: number): string {
  return s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`
}
