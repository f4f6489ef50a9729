import { describe, expect, it } from 'vitest'
import { makeSuiteResult } from '../../test/fixtures/suite-fixtures.js'
import { analyzeSuite } from '../analysis/analyze-suite.js'
import { uslThroughput } from '../analysis/usl-fit.js'
import { evaluateGates } from '../gates/evaluate-gates.js'
import { decideVerdict } from '../gates/verdict.js'
import { renderMarkdownSummary } from './markdown-summary.js'

describe('renderMarkdownSummary', () => {
  it('shows the verdict, runs, thresholds with ✅/❌ and values, and comparisons', () => {
    const suite = makeSuiteResult({
      name: 'caches | <b>bold</b>',
      thresholds: { http_req_duration: ['p(95)<15'] },
      runs: [1, 2].flatMap((rep) => [
        { cell: { cache: 'none' }, repetition: rep, medianMs: 10, seed: rep },
        { cell: { cache: 'lru' }, repetition: rep, medianMs: 5, seed: 10 + rep, cacheHitRate: 0.8 },
      ]),
    })
    suite.analysis = analyzeSuite(suite)
    suite.gates = evaluateGates(suite)
    suite.verdict = decideVerdict(suite)
    const md = renderMarkdownSummary(suite)
    expect(md).toContain('## LoadLab: caches \\| &lt;b&gt;bold&lt;/b&gt; (performance)')
    expect(md).toMatch(/^❌ \*\*cache=lru beats cache=none on p95 latency by \d+%/m)
    expect(md).toMatch(/\| cache=none #1 \| ok \| [\d,.]+ \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \| 0\.00% \| autocannon \|/)
    expect(md).toMatch(/### Thresholds \(2 passed, 2 failed\)/)
    expect(md).toMatch(/\| ❌ \| `http_req_duration` \| `p\(95\)<15` \| cache=none #1 \| 2\d\.\d{3} \|/)
    expect(md).toMatch(/\| ✅ \| `http_req_duration` \| `p\(95\)<15` \| cache=lru #1 \| 1\d\.\d{3} \|/)
    expect(md).toMatch(/### Comparisons\n\n(- .*\n)*- cache=lru beats cache=none on p95 latency/)
    expect(md).toMatch(/### Caches/)
  })

  it('shows the USL fit and the capacity plan for a scale-out', () => {
    const truth = { sigma: 0.05, kappa: 0.005, lambda: 900 }
    const suite = makeSuiteResult({
      kind: 'scale-out',
      runs: [1, 2, 3, 4, 6].map((n) => ({ cell: { replicas: n }, rps: uslThroughput(truth, n), seed: n, noise: 0.01 })),
    })
    suite.analysis = analyzeSuite(suite, { targetRps: 2000, headroom: 0.3 })
    suite.gates = evaluateGates(suite)
    suite.verdict = decideVerdict(suite)
    const md = renderMarkdownSummary(suite)
    expect(md).toMatch(
      /### Scale-out \(Universal Scalability Law\)\n\nσ = 0\.0\d+, κ = [\d.]+e-3, λ = [\d,.]+ req\/s, R² = (0\.9\d\d|1\.000); peak [\d,]+ req\/s at N\* ≈ \d+\.\d/,
    )
    expect(md).toMatch(/### Capacity plan\n\nTarget 2,000 req\/s with 30% headroom: \*\*\d replicas\*\*/)
    expect(md).toMatch(/\| 1 \| [\d,.]+ \| [\d,.]+ \| -?[\d,.]+ \| 100% \|/)
  })
})
