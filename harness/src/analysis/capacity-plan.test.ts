import { describe, expect, it } from 'vitest'
import { planCapacity } from './capacity-plan.js'
import { fitUsl, uslThroughput } from './usl-fit.js'

const truth = { sigma: 0.05, kappa: 0.002, lambda: 1000 }
const fit = fitUsl([1, 2, 4, 6, 8, 12, 16].map((n) => ({ n, throughput: uslThroughput(truth, n) })))

describe('planCapacity', () => {
  it('picks the smallest N whose throughput less the headroom covers the target', () => {
    const plan = planCapacity(fit, 2000, 0.3)
    expect(plan.replicas).not.toBeNull()
    const n = plan.replicas!
    expect(uslThroughput(fit, n) * 0.7).toBeGreaterThanOrEqual(2000)
    expect(uslThroughput(fit, n - 1) * 0.7).toBeLessThan(2000)
    expect(plan.reason).toMatch(new RegExp(`^${n} replicas give [\\d,]+ req/s by the fit; with 30% headroom they serve`))
  })

  it('says the peak X(N*) is below the target instead of inventing a count', () => {
    const plan = planCapacity(fit, 50_000, 0.3)
    expect(plan.replicas).toBeNull()
    expect(plan.reason).toMatch(/the peak X\(N\*\) = [\d,]+ req\/s at N\* ≈ [\d.]+ is below the 71,429 req\/s needed/)
  })

  it('plans beyond the measured range when throughput is still rising, and says it extrapolates', () => {
    const linear = fitUsl([1, 2, 3].map((n) => ({ n, throughput: 100 * n })))
    const plan = planCapacity(linear, 1000, 0)
    expect(plan.replicas).toBe(10)
    expect(plan.reason).toMatch(/extrapolated beyond the measured N ≤ 3/)
  })

  it('rejects nonsense targets and headroom with a message that says what is allowed', () => {
    expect(() => planCapacity(fit, -5, 0.3)).toThrow(/positive number of requests per second/)
    expect(() => planCapacity(fit, 100, 1.5)).toThrow(/headroom must be a share in \[0, 1\)/)
  })
})
