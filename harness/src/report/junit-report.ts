import { evaluateThresholds } from '../gates/evaluate-thresholds.js'
import type { SuiteResult, ThresholdOutcome } from '../results/results-schema.js'
import { showInvisibles } from './visible-text.js'

// junit.xml for CI test tabs (GitHub, GitLab, Jenkins): one <testcase> per threshold per run
// (classname = run id, name = metric + expression), one per baseline comparison, and one per run
// that failed or was aborted. A threshold that could not be evaluated (unknown metric) is an
// <error>, a threshold that was measured and missed is a <failure>; both carry the value.

/** Escapes text for XML attributes and content; controls and bidi characters become visible escapes, the rest XML 1.0 forbids is dropped. */
export function escapeXml(text: string): string {
  return showInvisibles(text)
    .replace(/[\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

interface Case {
  classname: string
  name: string
  time?: number
  /** What a passing case should still say (a threshold judged on part of the data). */
  output?: string
  failure?: { message: string; type: string; body?: string }
  error?: { message: string; type: string; body?: string }
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(5)))
}

function thresholdCase(t: ThresholdOutcome): Case {
  const c: Case = { classname: t.runId, name: `${t.metric} ${t.expression}` }
  if (t.passed) return t.message ? { ...c, output: t.message } : c
  if (t.value === null) c.error = { type: 'ThresholdError', message: t.message ?? 'the threshold could not be evaluated' }
  else
    c.failure = {
      type: 'ThresholdFailed',
      message: t.message ?? `${t.metric} ${t.expression}: measured ${fmt(t.value)}`,
      body: `measured value: ${fmt(t.value)}${t.abortOnFail ? ' (abortOnFail)' : ''}`,
    }
  return c
}

function renderCase(c: Case): string {
  const head = `    <testcase classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}" time="${(c.time ?? 0).toFixed(3)}"`
  const inner = c.failure ?? c.error
  if (!inner) return c.output ? `${head}>\n      <system-out>${escapeXml(c.output)}</system-out>\n    </testcase>` : `${head}/>`
  const tag = c.failure ? 'failure' : 'error'
  return `${head}>\n      <${tag} message="${escapeXml(inner.message)}" type="${inner.type}">${escapeXml(inner.body ?? inner.message)}</${tag}>\n    </testcase>`
}

function renderSuite(name: string, cases: Case[], timestamp: string): string {
  const failures = cases.filter((c) => c.failure).length
  const errors = cases.filter((c) => c.error).length
  return [
    `  <testsuite name="${escapeXml(name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" timestamp="${escapeXml(timestamp)}" time="0">`,
    ...cases.map(renderCase),
    '  </testsuite>',
  ].join('\n')
}

export function renderJunit(suite: SuiteResult): string {
  const scenario = suite.scenario.name
  const suites: Array<{ name: string; cases: Case[] }> = []
  const thresholds = suite.gates?.thresholds ?? evaluateThresholds(suite)
  suites.push({ name: `${scenario}: thresholds`, cases: thresholds.map(thresholdCase) })

  const baseline = suite.gates?.baseline
  if (baseline) {
    const cases: Case[] = baseline.changes.map((ch) => {
      const isAbs = ch.metric === 'error_rate'
      const change = isAbs
        ? `${ch.relChange >= 0 ? '+' : ''}${(ch.relChange * 100).toFixed(2)} pp (95% CI ${(ch.ci[0] * 100).toFixed(2)} to ${(ch.ci[1] * 100).toFixed(2)} pp)`
        : `${ch.relChange >= 0 ? '+' : ''}${(ch.relChange * 100).toFixed(1)}% (95% CI ${(ch.ci[0] * 100).toFixed(1)}% to ${(ch.ci[1] * 100).toFixed(1)}%)`
      const c: Case = { classname: `baseline ${baseline.file}`, name: `${ch.cellLabel} ${ch.metric}` }
      if (ch.regression)
        c.failure = {
          type: 'BaselineRegression',
          message: `${ch.metric} on ${ch.cellLabel} regressed: ${fmt(ch.baseline)} -> ${fmt(ch.current)}, change ${change}, beyond the ${Math.round(baseline.tolerance * 100)}% tolerance`,
          ...(ch.method ? { body: ch.method } : {}),
        }
      return c
    })
    if (baseline.changes.length === 0) {
      cases.push({
        classname: `baseline ${baseline.file}`,
        name: 'baseline comparison',
        error: { type: 'BaselineMismatch', message: `the baseline ${baseline.file} shares no cell with this run` },
      })
    }
    suites.push({ name: `${scenario}: baseline`, cases })
  }

  const runCases: Case[] = suite.runs.map((r) => {
    const c: Case = { classname: r.id, name: 'run completed', time: r.durationS }
    if (r.status !== 'ok')
      c.error = { type: r.status === 'aborted' ? 'RunAborted' : 'RunFailed', message: `${r.id} ${r.status}: ${r.error ?? 'no reason recorded'}` }
    return c
  })
  suites.push({ name: `${scenario}: runs`, cases: runCases })

  const all = suites.flatMap((s) => s.cases)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(`loadlab ${scenario}`)}" tests="${all.length}" failures="${all.filter((c) => c.failure).length}" errors="${all.filter((c) => c.error).length}" time="${suite.runs.reduce((s, r) => s + r.durationS, 0).toFixed(3)}">`,
    ...suites.map((s) => renderSuite(s.name, s.cases, suite.startedAt)),
    '</testsuites>',
    '',
  ].join('\n')
}
