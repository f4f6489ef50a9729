import { describe, expect, it } from 'vitest'
import { makeSuiteResult } from '../../test/fixtures/suite-fixtures.js'
import { compareToBaseline } from '../gates/baseline.js'
import { evaluateThresholds } from '../gates/evaluate-thresholds.js'
import { renderJunit } from './junit-report.js'

/** A strict-enough well-formedness check (no XML parser is installed): tags nest, entities are known, no raw < or & in text/attributes. */
function checkWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '')
  const stack: string[] = []
  const tokenRe = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy
  let pos = 0
  while (pos < body.length) {
    tokenRe.lastIndex = pos
    const m = tokenRe.exec(body)
    if (!m) throw new Error(`not well-formed near: ${body.slice(pos, pos + 60)}`)
    pos = tokenRe.lastIndex
    const text = m[5] ?? m[3] ?? ''
    const amp = text.match(/&(?!(amp|lt|gt|quot|apos);)/)
    if (amp) throw new Error(`raw & in: ${text.slice(0, 60)}`)
    if (m[5] !== undefined) continue
    if (m[1]) {
      if (stack.pop() !== m[2]) throw new Error(`mismatched </${m[2]}>`)
    } else if (!m[4]) stack.push(m[2]!)
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`)
}

describe('renderJunit', () => {
  it('has one testcase per threshold per run with the measured value on failure', () => {
    const suite = makeSuiteResult({
      name: 'gate & <script>alert(1)</script>',
      thresholds: { http_req_duration: ['p(95)<5', 'avg<1000'], 'made_up{x:"y"}': ['count<1'] },
      runs: [
        { cell: { cache: 'lru' }, seed: 1 },
        { cell: { cache: 'none' }, seed: 2 },
      ],
    })
    suite.gates = { passed: false, thresholds: evaluateThresholds(suite) }
    const xml = renderJunit(suite)
    checkWellFormed(xml)
    expect(xml).not.toContain('<script>')
    expect(xml).toContain('gate &amp; &lt;script&gt;alert(1)&lt;/script&gt;')
    expect(xml.match(/<testcase classname="cache=lru #1" name="http_req_duration p\(95\)&lt;5"/g)).toHaveLength(1)
    expect(xml).toMatch(
      /<failure message="http_req_duration p\(95\)&lt;5 failed on cache=lru #1: measured p\(95\) = \d+\.\d+ ms" type="ThresholdFailed">measured value: \d+/,
    )
    expect(xml).toMatch(/<testcase classname="cache=none #1" name="http_req_duration avg&lt;1000" time="0.000"\/>/)
    expect(xml).toMatch(/<error message="[^"]*no such metric &quot;made_up&quot;/)
    expect(xml).toMatch(/<testsuites name="loadlab gate &amp; [^"]*" tests="7" failures="2" errors="1"/)
  })

  it('adds the baseline comparison and failed runs as testcases', () => {
    const old = makeSuiteResult({
      runs: [
        { medianMs: 10, seed: 1 },
        { medianMs: 10, seed: 4, repetition: 2 },
      ],
    })
    const suite = makeSuiteResult({
      runs: [
        { medianMs: 15, seed: 2 },
        { medianMs: 15, seed: 5, repetition: 2 },
        { cell: { x: 1 }, status: 'aborted', seed: 3 },
      ],
    })
    suite.runs[2]!.error = 'abortOnFail: http_req_failed rate<0.01'
    suite.gates = { passed: false, thresholds: [], baseline: compareToBaseline(suite, old, { tolerance: 0.05, file: 'base/results.json' }) }
    const xml = renderJunit(suite)
    checkWellFormed(xml)
    expect(xml).toMatch(
      /<testcase classname="baseline base\/results.json" name="default p95" time="0.000">\s*<failure message="p95 on default regressed: [\d.]+ -&gt; [\d.]+, change \+\d+\.\d% \(95% CI/,
    )
    expect(xml).toMatch(
      /<testcase classname="x=1 #1" name="run completed" time="30.000">\s*<error message="x=1 #1 aborted: abortOnFail: http_req_failed rate&lt;0.01" type="RunAborted">/,
    )
  })

  it('the well-formedness check itself rejects broken XML', () => {
    expect(() => checkWellFormed('<a><b></a>')).toThrow()
    expect(() => checkWellFormed('<a>x & y</a>')).toThrow()
  })
})
