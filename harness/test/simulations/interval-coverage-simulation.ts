import { ANALYSIS_METRIC_DEFINITIONS } from '../../src/analysis/analysis-metrics.js'
import { compareGroups } from '../../src/analysis/group-intervals.js'
import { makeRunResult } from '../fixtures/suite-fixtures.js'

// The random-effects interval on synthetic runs of ONE configuration (so every interval that
// excludes 0 is a false "significant"): per autocorrelation of the seconds (φ), run-to-run
// effect (τ, relative) and runs per side, the share of 300 comparisons whose interval excludes
// 0 (nominal 5%), the mean interval width, and how often the within-run batches set it.
// `npx tsx harness/test/simulations/interval-coverage-simulation.ts` (about 12 minutes on 2 busy cores).

const SIMS = Number(process.env.SIMS ?? 300)
for (const phi of [0.5, 0.8]) {
  for (const tau of [0, 0.03, 0.08]) {
    for (const n of [2, 4]) {
      const res = { p95: { sig: 0, width: 0, within: 0 }, rps: { sig: 0, width: 0, within: 0 } }
      for (let s = 0; s < SIMS; s++) {
        const side = (k: number) =>
          Array.from({ length: n }, (_, i) =>
            makeRunResult({
              seed: s * 1000 + k * 100 + i + 1,
              repetition: i + 1,
              durationS: 20,
              rps: 300,
              noise: 0.08,
              autocorrelation: phi,
              runEffect: tau,
              samplesPerSecond: 100,
            }),
          )
        const a = side(0)
        const b = side(1)
        for (const m of ['p95', 'rps'] as const) {
          const d = compareGroups(ANALYSIS_METRIC_DEFINITIONS[m], a, b)!
          if (d.lo > 0 || d.hi < 0) res[m].sig++
          res[m].width += (d.hi - d.lo) / SIMS
          if (/within-run batches set/.test(d.method)) res[m].within++
        }
      }
      for (const m of ['p95', 'rps'] as const) {
        process.stdout.write(
          `phi=${phi} tau=${tau} n=${n} ${m}: excludes 0 in ${((res[m].sig / SIMS) * 100).toFixed(1)}%, mean width ${(res[m].width * 100).toFixed(1)}%, batches set it in ${((res[m].within / SIMS) * 100).toFixed(0)}%\n`,
        )
      }
    }
  }
}
