import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { makeSuiteResult } from '../../test/fixtures/suite-fixtures.js'
import { runCapacityFit, runCapacityPlan } from '../cli/capacity-commands.js'
import { renderHtmlReport } from '../report/html/render-html-report.js'
import { renderMarkdownSummary } from '../report/markdown-summary.js'
import { planCapacity } from './capacity-plan.js'
import { fitUsl, uslThroughput } from './usl-fit.js'

// Throughput that falls as replicas are added gives a fit whose "peak" sits below one replica
// (N* ≈ 0.9). Reporting that as a peak, or planning with it, without a word would mislead a
// capacity planner: the fit carries a warning, and every place that shows the fit shows it.

const decreasing = [1, 2, 3, 4].map((n) => ({ n, throughput: 1100 - 100 * n }))
const healthy = [1, 2, 3, 4, 6, 8].map((n) => ({ n, throughput: uslThroughput({ sigma: 0.05, kappa: 0.004, lambda: 800 }, n) }))

describe('USL fit on data that do not scale', () => {
  it('warns that throughput does not increase and that the peak lies below the measured range', () => {
    const fit = fitUsl(decreasing)
    expect(fit.nStar).not.toBeNull()
    expect(fit.nStar!).toBeLessThan(1)
    expect(fit.warning).toContain('throughput does not increase with replicas (N=1: 1000 req/s, N=4: 700 req/s)')
    expect(fit.warning).toMatch(/the fitted peak N\* ≈ 0\.\d\d lies below the smallest measured N = 1/)
  })

  it('warns on flat data measured from N=2', () => {
    expect(
      fitUsl([
        { n: 2, throughput: 1000 },
        { n: 4, throughput: 1000 },
        { n: 8, throughput: 990 },
      ]).warning,
    ).toContain('does not increase with replicas')
  })

  it('stays quiet on data that scale, also past a real peak', () => {
    expect(fitUsl(healthy).warning).toBeUndefined()
    expect(fitUsl([1, 2, 4, 8, 16].map((n) => ({ n, throughput: uslThroughput({ sigma: 0.1, kappa: 0.02, lambda: 500 }, n) }))).warning).toBeUndefined()
  })

  it('repeats the warning in the capacity plan', () => {
    expect(planCapacity(fitUsl(decreasing), 500, 0.3).reason).toContain('WARNING: throughput does not increase with replicas')
  })

  it('shows the warning in summary.md and index.html', async () => {
    const suite = makeSuiteResult({
      kind: 'scale-out',
      runs: decreasing.map((p, i) => ({ cell: { replicas: p.n }, rps: p.throughput, seed: i + 1, noise: 0.01 })),
    })
    const { analyzeSuite } = await import('./analyze-suite.js')
    suite.analysis = analyzeSuite(suite)
    expect(suite.analysis.scalability?.warning).toBeDefined()
    expect(renderMarkdownSummary(suite)).toContain('**Warning:** throughput does not increase with replicas')
    expect(renderHtmlReport(suite)).toContain('<strong>Warning:</strong> throughput does not increase with replicas')
  })
})

describe('loadlab capacity on decreasing data', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-usl-warning-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const csv = path.join(dir, 'decreasing.csv')
  writeFileSync(csv, ['n,throughput', ...decreasing.map((p) => `${p.n},${p.throughput}`)].join('\n'))

  it('fit prints the warning on stderr and in its JSON', () => {
    let out = ''
    let err = ''
    runCapacityFit(csv, { out: (t) => void (out += t), err: (t) => void (err += t) })
    expect(err).toMatch(/^warning: throughput does not increase with replicas/m)
    expect(JSON.parse(out).warning).toContain('lies below the smallest measured N = 1')
  })

  it('plan says it next to the replica count', () => {
    let out = ''
    let err = ''
    runCapacityPlan(csv, 500, 0.3, { out: (t) => void (out += t), err: (t) => void (err += t) })
    expect(err).toContain('WARNING: throughput does not increase with replicas')
    expect(JSON.parse(out).fit.warning).toBeDefined()
  })
})
