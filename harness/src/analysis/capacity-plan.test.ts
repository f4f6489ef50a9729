import { describe, expect, it } from 'vitest'
import type { UslFit } from '../results/results-schema.js'
import { CISCO, CISCO_FIT } from '../../test/fixtures/usl-published-data.js'
import { planCapacity } from './capacity-plan.js'
import { fitUsl } from './usl-fit.js'

// The plan for the published Cisco model (σ = 0.02671591, κ = 7.690945e-4, λ = 995.6486,
// measured at N = 1..32), with replica counts worked out by hand from
// X(N) = λN / (1 + σ(N − 1) + κN(N − 1)):
//   X(7) = 5,844.0   X(8) = 6,475.3   X(15) = 9,726.1   X(16) = 10,048.7
//   X(32) = 12,296.1   X(33) = 12,319.3   N* = sqrt((1 − σ) / κ) = 35.57, X(N*) = 12,342.9
const published: UslFit = {
  ...CISCO_FIT,
  nStar: 35.5738,
  xStar: 12342.85,
  r2: 0.997,
  points: CISCO.map(([n, throughput]) => ({ n, throughput, fitted: throughput, residual: 0, efficiency: 1 })),
}

describe('planCapacity', () => {
  it.each([
    // target, headroom: needed = target / (1 − headroom)
    { target: 5000, headroom: 0.2, replicas: 8, why: 'needs 6,250: X(7) = 5,844 < 6,250 ≤ X(8) = 6,475' },
    { target: 7000, headroom: 0.3, replicas: 16, why: 'needs 10,000: X(15) = 9,726 < 10,000 ≤ X(16) = 10,049' },
    { target: 10048, headroom: 0, replicas: 16, why: 'needs 10,048 ≤ X(16) = 10,048.7' },
    { target: 10049, headroom: 0, replicas: 17, why: 'needs 10,049 > X(16) = 10,048.7' },
  ])(
    'picks the smallest N whose throughput less the headroom covers $target req/s with $headroom headroom: $replicas ($why)',
    ({ target, headroom, replicas }) => {
      const plan = planCapacity(published, target, headroom)
      expect(plan.replicas).toBe(replicas)
      expect(plan.reason).toMatch(new RegExp(`^${replicas} replicas give [\\d,]+ req/s by the fit; with ${Math.round(headroom * 100)}% headroom they serve`))
    },
  )

  it('says when the count lies beyond the measured replica counts', () => {
    // 12,300 req/s: X(32) = 12,296 < 12,300 ≤ X(33) = 12,319, and the data stop at N = 32.
    const plan = planCapacity(published, 12_300, 0)
    expect(plan.replicas).toBe(33)
    expect(plan.reason).toBe(
      '33 replicas give 12,319 req/s by the fit; with 0% headroom they serve 12,319 req/s ≥ 12,300 req/s (extrapolated beyond the measured N ≤ 32)',
    )
  })

  it('says the peak X(N*) is below the target instead of inventing a count', () => {
    // 8,700 req/s with 30% headroom needs 12,429 req/s, above the peak X(N*) = 12,343.
    const plan = planCapacity(published, 8700, 0.3)
    expect(plan.replicas).toBeNull()
    expect(plan.reason).toMatch(/^the peak X\(N\*\) = 12,343 req\/s at N\* ≈ 35\.6 is below the 12,429 req\/s needed for 8,700 req\/s with 30% headroom/)
  })

  it('plans from a fit of the published measurements as from the published model', () => {
    const fit = fitUsl(CISCO.map(([n, throughput]) => ({ n, throughput })))
    expect(planCapacity(fit, 5000, 0.2).replicas).toBe(8)
    expect(planCapacity(fit, 7000, 0.3).replicas).toBe(16)
    expect(planCapacity(fit, 8700, 0.3).replicas).toBeNull()
  })

  it('plans beyond the measured range when throughput is still rising, and says it extrapolates', () => {
    // Exactly linear, 100 req/s per replica: 1,000 req/s need 10.
    const linear = fitUsl([1, 2, 3].map((n) => ({ n, throughput: 100 * n })))
    const plan = planCapacity(linear, 1000, 0)
    expect(plan.replicas).toBe(10)
    expect(plan.reason).toMatch(/extrapolated beyond the measured N ≤ 3/)
  })

  it('rejects nonsense targets and headroom with a message that says what is allowed', () => {
    expect(() => planCapacity(published, -5, 0.3)).toThrow(/positive number of requests per second/)
    expect(() => planCapacity(published, 100, 1.5)).toThrow(/headroom must be a share in \[0, 1\)/)
  })
})
