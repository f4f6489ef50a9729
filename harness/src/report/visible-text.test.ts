import { describe, expect, it } from 'vitest'
import { makeRunResult, makeSuiteResult } from '../../test/fixtures/suite-fixtures.js'
import { ConsoleReporter } from './console-reporter.js'
import { renderHtmlReport } from './html/render-html-report.js'
import { renderJunit } from './junit-report.js'
import { renderMarkdownSummary } from './markdown-summary.js'
import { showInvisibles } from './visible-text.js'

// A scenario name with a right-to-left override, a run error carrying a terminal escape and a
// carriage return, a validity note with an isolate: none of them may reach a report raw, where
// they would reorder or hide what a reader sees. Each shows as a visible \uXXXX escape.

const RAW = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/

function hostileSuite() {
  const run = makeRunResult({ cell: { cache: 'lru' }, durationS: 5 })
  run.status = 'failed'
  run.error = 'replica answered 500: \u001b[2J\u001b[31mall good\r'
  run.validity.push({ level: 'warning', code: 'other', message: 'server said \u2066evil\u2069' })
  const suite = makeSuiteResult({ name: 'checkout\u202Egnp.exe', runs: [run], thresholds: { 'http_req_duration{cell:x\u202E}': ['p(95)<200'] } })
  suite.verdict = { text: 'verdict \u200Fwith a mark', passed: false, exitCode: 1 }
  return suite
}

describe('control and bidi characters in reports', () => {
  it('are replaced with visible escapes', () => {
    expect(showInvisibles('a\u202Eb\u001bc\td\ne')).toBe('a\\u202Eb\\u001Bc\td\ne')
  })

  it('never reach index.html raw', () => {
    const page = renderHtmlReport(hostileSuite())
    expect(page).not.toMatch(RAW)
    expect(page).toContain('checkout\\u202Egnp.exe')
    expect(page).toContain('\\u001B[2J')
  })

  it('never reach summary.md raw', () => {
    const md = renderMarkdownSummary(hostileSuite())
    expect(md).not.toMatch(RAW)
    expect(md).toContain('checkout\\u202Egnp.exe')
  })

  it('never reach junit.xml raw', () => {
    const xml = renderJunit(hostileSuite())
    expect(xml).not.toMatch(RAW)
    expect(xml).toContain('\\u001B[31mall good\\u000D')
  })

  it('never reach the console raw', () => {
    let text = ''
    const stream = { write: (t: string) => ((text += t), true), isTTY: false } as unknown as NodeJS.WritableStream
    const reporter = new ConsoleReporter({ progress: stream, out: stream })
    const suite = hostileSuite()
    reporter.onRunEnd(suite.runs[0]!)
    reporter.onEnd(suite)
    expect(text).not.toMatch(RAW)
    expect(text).toContain('\\u001B[31mall good')
  })
})
