import { evaluateThresholds } from '../gates/evaluate-thresholds.js'
import type { SuiteResult } from '../results/results-schema.js'
import { showInvisibles } from './visible-text.js'

// summary.md: what a CI step summary or a pull-request comment shows. Plain GitHub-flavoured
// Markdown; every string that came from a scenario, a run or an error is escaped, because
// GitHub renders inline HTML and table pipes would break the layout.

/** Escapes text for a Markdown table cell or line: HTML, pipes, backticks, newlines, and control and bidi characters. */
export function escapeMarkdown(text: string): string {
  return showInvisibles(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/`/g, '\\`')
    .replace(/\*/g, '\\*')
    .replace(/_/g, '\\_')
    .replace(/\r?\n/g, ' ')
}

function num(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–'
}

function ms(v: number): string {
  return `${num(v, v < 10 ? 2 : 1)} ms`
}

function pct(v: number, digits = 2): string {
  return `${num(v * 100, digits)}%`
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)]
}

export function renderMarkdownSummary(suite: SuiteResult): string {
  const out: string[] = []
  const e = escapeMarkdown
  out.push(`## LoadLab: ${e(suite.scenario.name)} (${e(suite.scenario.kind)})`, '')
  out.push(`${suite.verdict.passed ? '✅' : '❌'} **${e(suite.verdict.text || 'no verdict')}** (exit code ${suite.verdict.exitCode})`, '')

  out.push('### Runs', '')
  out.push(
    ...table(
      ['run', 'status', 'req/s', 'p50', 'p95', 'p99', 'errors', 'engine'],
      suite.runs.map((r) => {
        const d = r.metrics.http_req_duration
        return [
          e(r.id),
          r.status === 'ok' ? 'ok' : `**${e(r.status)}**${r.error ? `: ${e(r.error)}` : ''}`,
          num(r.metrics.http_reqs.rate),
          ms(d.p50),
          ms(d.p95),
          ms(d.p99),
          pct(r.metrics.http_req_failed.rate),
          e(r.engine),
        ]
      }),
    ),
    '',
  )

  const thresholds = suite.gates?.thresholds ?? evaluateThresholds(suite)
  if (thresholds.length > 0) {
    const failed = thresholds.filter((t) => !t.passed).length
    out.push(`### Thresholds (${thresholds.length - failed} passed, ${failed} failed)`, '')
    out.push(
      ...table(
        ['', 'metric', 'expression', 'run', 'measured'],
        thresholds.map((t) => [
          t.passed ? '✅' : '❌',
          `\`${t.metric.replace(/`/g, "'")}\``,
          `\`${t.expression.replace(/`/g, "'")}\``,
          e(t.runId),
          t.value === null ? e(t.message ?? 'no value') : num(t.value, 3),
        ]),
      ),
      '',
    )
  }

  const writeRuns = suite.runs.filter((r) => r.metrics.lost_writes !== undefined)
  if (writeRuns.length > 0) {
    out.push('### Writes read back after each run', '')
    out.push(
      ...table(
        ['run', 'checked', 'lost', 'unverified', 'unverified explained by'],
        writeRuns.map((r) => {
          const w = r.metrics.lost_writes!
          const unverified = w.unverified ?? 0
          return [
            e(r.id),
            String(w.checked),
            w.count > 0 ? `❌ ${w.count}` : '0',
            unverified > 0 ? `⚠️ ${unverified}` : '0',
            unverified === 0 ? '' : e((w.unverifiedExplainedBy ?? []).join(', ') || 'no fault of the scenario'),
          ]
        }),
      ),
      '',
    )
  }

  const checkFailures = suite.runs.flatMap((r) => (r.metrics.check_failures ?? []).map((f) => ({ run: r.id, ...f })))
  if (checkFailures.length > 0) {
    out.push('### Failed checks', '')
    out.push(
      ...table(
        ['run', 'request', 'check', 'failed', 'first failing response'],
        checkFailures
          .slice(0, 20)
          .map((f) => [
            e(f.run),
            e(f.op),
            e(f.check),
            num(f.count, 0),
            `${f.status === 0 ? 'no response' : `HTTP ${f.status}`} ${e(f.body.replace(/\s+/g, ' ').slice(0, 120))}`,
          ]),
      ),
      '',
    )
  }

  const baseline = suite.gates?.baseline
  if (baseline) {
    out.push(`### Baseline: ${e(baseline.file)} (tolerance ${Math.round(baseline.tolerance * 100)}%) ${baseline.passed ? '✅' : '❌'}`, '')
    if (baseline.changes.length === 0) out.push('The baseline shares no cell with this run, so it cannot vouch for it.', '')
    else {
      out.push(
        ...table(
          ['', 'cell', 'metric', 'baseline', 'current', 'runs', 'change (95% CI) and what it says'],
          baseline.changes.map((c) => {
            const abs = c.metric === 'error_rate'
            const change = c.text ?? (abs ? `${num(c.relChange * 100, 2)} pp` : `${num(c.relChange * 100)}%`)
            const fmt = (v: number) => (abs ? pct(v) : c.metric === 'rps' ? num(v) : ms(v))
            const mark = c.regression
              ? '❌ regression'
              : c.outcome === 'cannot-tell' || c.outcome === 'inconclusive'
                ? '❔ cannot tell'
                : c.significant
                  ? 'changed'
                  : '·'
            return [mark, e(c.cellLabel), e(c.metric), fmt(c.baseline), fmt(c.current), c.runs ? `${c.runs.baseline} vs ${c.runs.current}` : '', e(change)]
          }),
        ),
        '',
      )
      for (const n of baseline.notes ?? []) out.push(`> ${e(n)}`, '')
    }
  }

  const a = suite.analysis
  if (a) {
    const sig = a.comparisons.filter((c) => c.significant)
    if (a.comparisons.length > 0) {
      out.push('### Comparisons', '')
      for (const c of sig) out.push(`- ${e(c.text)}`)
      const unsure = a.comparisons.filter((c) => c.outcome === 'cannot-tell')
      const same = a.comparisons.length - sig.length - unsure.length
      if (same > 0) out.push(`- ${same} other comparison${same === 1 ? '' : 's'}: no significant difference (narrow intervals around 0)`)
      if (unsure.length > 0)
        out.push(
          `- ${unsure.length} comparison${unsure.length === 1 ? '' : 's'}: cannot tell (${unsure[0]!.relDiff.noInterval ?? 'intervals too wide'}); for example: ${e(unsure[0]!.text)}`,
        )
      const winners = Object.entries(a.winners)
      if (winners.length > 0) out.push('', `Winners (significant only): ${winners.map(([m, w]) => `${e(m)}: **${e(w)}**`).join(', ')}`)
      out.push('')
    }
    if (a.knee) {
      out.push('### Stress: maximum sustainable throughput', '')
      out.push(
        `**${a.knee.maxSustainableRps === null ? 'none found' : `${num(a.knee.maxSustainableRps, 0)} req/s`}** (${e(a.knee.sloText)}): ${e(a.knee.evidence)}`,
        '',
      )
      out.push(
        ...table(
          ['offered req/s', 'achieved req/s', 'latency', 'errors', 'SLO'],
          a.knee.points.map((p) => [num(p.offeredRps, 0), num(p.achievedRps, 0), ms(p.latency), pct(p.errorRate), p.sloOk ? '✅' : '❌']),
        ),
        '',
      )
    }
    if (a.scalability) {
      const s = a.scalability
      out.push('### Scale-out (Universal Scalability Law)', '')
      out.push(
        `σ = ${s.sigma.toFixed(4)}, κ = ${s.kappa.toExponential(2)}, λ = ${num(s.lambda)} req/s, R² = ${s.r2.toFixed(3)}; ${s.nStar !== null && s.xStar !== null ? `peak ${num(s.xStar, 0)} req/s at N* ≈ ${s.nStar.toFixed(1)}` : 'no peak within reach'}`,
      )
      if (s.warning) out.push('', `⚠️ **Warning:** ${e(s.warning)}`)
      if (s.note) out.push('', `Note: ${e(s.note)}`)
      out.push(
        '',
        ...table(
          ['N', 'measured req/s', 'fitted req/s', 'residual', 'efficiency'],
          s.points.map((p) => [String(p.n), num(p.throughput), num(p.fitted), num(p.residual), pct(p.efficiency, 0)]),
        ),
        '',
      )
    }
    if (a.capacityPlan) {
      const p = a.capacityPlan
      out.push('### Capacity plan', '')
      out.push(
        `Target ${num(p.targetRps, 0)} req/s with ${Math.round(p.headroom * 100)}% headroom: **${p.replicas === null ? 'not reachable' : `${p.replicas} replica${p.replicas === 1 ? '' : 's'}`}**. ${e(p.reason)}.`,
        '',
      )
    }
    if (a.partitions && a.partitions.length > 0) {
      out.push('### Partitions', '')
      out.push(
        ...table(
          ['cell', 'share by shard', 'hottest shard', 'keys moved if a shard is added'],
          a.partitions.map((p) => [
            e(p.cellLabel),
            Object.entries(p.shareByShard)
              .map(([k, v]) => `${e(k)}: ${pct(v, 0)}`)
              .join(', '),
            pct(p.hottestShare, 0),
            p.keysMovedIfShardAdded === undefined ? '–' : pct(p.keysMovedIfShardAdded, 0),
          ]),
        ),
        '',
      )
    }
    if (a.caches && a.caches.length > 0) {
      out.push('### Caches', '')
      out.push(
        ...table(
          ['cell', 'hit rate (95% CI)', 'mean latency saved per point of hit rate'],
          a.caches.map((c) => [
            e(c.cellLabel),
            `${pct(c.hitRate.estimate, 1)} (${pct(c.hitRate.lo, 1)}–${pct(c.hitRate.hi, 1)})`,
            c.latencyGainPerPointMs === null ? '–' : ms(c.latencyGainPerPointMs),
          ]),
        ),
        '',
      )
    }
    if (a.notes.length > 0) {
      out.push('### Notes', '')
      for (const n of a.notes) out.push(`- ${e(n)}`)
      out.push('')
    }
  }
  const warnings = suite.runs.flatMap((r) => r.validity.filter((v) => v.level !== 'info').map((v) => `${r.id}: ${v.message}`))
  if (warnings.length > 0) {
    out.push('### Validity', '')
    for (const w of warnings) out.push(`- ⚠️ ${e(w)}`)
    out.push('')
  }
  // One place for the whole file: also threshold keys and anything else shown in code spans.
  return showInvisibles(`${out.join('\n').trimEnd()}\n`)
}
