import { makeAnalyzedSuite, exampleSuiteSpecs } from './fixtures/suite-fixtures.js'
for (const [name, spec] of Object.entries(exampleSuiteSpecs)) {
  const s = await makeAnalyzedSuite(spec(), name === 'scaleOut' ? { targetRps: 3000, headroom: 0.3 } : {})
  console.log(name, '=>', s.verdict)
  if (name === 'stress') console.log(s.analysis?.knee)
}
const s = await makeAnalyzedSuite({ runs: [{ cell: { cache: 'none' }, seed: 1 }, { cell: { cache: 'lru' }, seed: 2, medianMs: 9.7 }] })
console.log(s.verdict, s.analysis?.comparisons.map(c => c.text))
