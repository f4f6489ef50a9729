import { makeSuiteResult } from './fixtures/suite-fixtures.js'
import { compareToBaseline } from '../src/gates/baseline.js'
import { renderJunit } from '../src/report/junit-report.js'
import { renderMarkdownSummary } from '../src/report/markdown-summary.js'
import { analyzeSuite } from '../src/analysis/analyze-suite.js'
import { evaluateGates } from '../src/gates/evaluate-gates.js'
import { decideVerdict } from '../src/gates/verdict.js'
import { uslThroughput } from '../src/analysis/usl-fit.js'
    const old = makeSuiteResult({ runs: [{ medianMs: 10, seed: 1 }] })
    const suite = makeSuiteResult({ runs: [{ medianMs: 15, seed: 2 }, { cell: { x: 1 }, status: 'aborted', seed: 3 }] })
    suite.gates = { passed: false, thresholds: [], baseline: compareToBaseline(suite, old, { tolerance: 0.05, file: 'base/results.json' }) }
    console.log(renderJunit(suite))
    const truth = { sigma: 0.05, kappa: 0.005, lambda: 900 }
    const s2 = makeSuiteResult({ kind: 'scale-out', runs: [1, 2, 3, 4, 6].map((n) => ({ cell: { replicas: n }, rps: uslThroughput(truth, n), seed: n, noise: 0.01 })) })
    s2.analysis = analyzeSuite(s2, { targetRps: 2000, headroom: 0.3 })
    s2.gates = evaluateGates(s2)
    s2.verdict = decideVerdict(s2)
    console.log(renderMarkdownSummary(s2))
