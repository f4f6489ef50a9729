import { describe, expect, it } from 'vitest'
import { createSeededRandom } from '../random/seeded-random.js'
import { CISCO, CISCO_FIT, SPEC_SDM91, SPEC_SDM91_FIT } from '../../test/fixtures/usl-published-data.js'
import { fitUsl, uslThroughput, type UslParameters } from './usl-fit.js'

const points = (data: ReadonlyArray<readonly [number, number]>) => data.map(([n, throughput]) => ({ n, throughput }))

/** |actual / expected - 1| <= share. */
function expectWithin(actual: number, expected: number, share: number, what: string): void {
  expect(Math.abs(actual / expected - 1), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(share)
}

/** The USL written out here, apart from the code under test, to make noisy test data. */
function uslCurve(p: UslParameters, n: number): number {
  return (p.lambda * n) / (1 + p.sigma * (n - 1) + p.kappa * n * (n - 1))
}

function synthetic(truth: UslParameters, ns: number[], noise: number, seed: number) {
  const rnd = createSeededRandom(seed)
  return ns.map((n) => ({ n, throughput: uslCurve(truth, n) * (1 + noise * rnd.normal()) }))
}

describe('fitUsl', () => {
  it('reproduces the published fit of the Cisco benchmark (Schwartz, Practical Scalability Analysis)', () => {
    const fit = fitUsl(points(CISCO))
    // usl4j checks the same coefficients to 0.02%.
    expectWithin(fit.sigma, CISCO_FIT.sigma, 2e-4, 'σ')
    expectWithin(fit.kappa, CISCO_FIT.kappa, 2e-4, 'κ')
    expectWithin(fit.lambda, CISCO_FIT.lambda, 2e-4, 'λ')
    // N* = sqrt((1 - σ) / κ) = sqrt(0.97328409 / 7.690945e-4) = 35.57; the book: peak 12,341 at N = 35.
    expectWithin(fit.nStar!, 35.574, 1e-3, 'N*')
    expect(Math.floor(fit.nStar!)).toBe(35)
    expectWithin(uslThroughput(fit, 35), 12341.7456, 2e-4, 'X(35)')
    expectWithin(fit.xStar!, 12342.85, 2e-4, 'X(N*)')
    // usl4j: throughput 995.648772 at N = 1 and 11,063.633 at N = 20.
    expectWithin(uslThroughput(fit, 20), 11063.633, 2e-4, 'X(20)')
    expect(fit.r2).toBeGreaterThan(0.99)
  })

  it('reproduces the published fit of the SPEC SDM91 benchmark (Gunther, Guerrilla Capacity Planning; R package usl)', () => {
    const fit = fitUsl(points(SPEC_SDM91))
    expectWithin(fit.sigma, SPEC_SDM91_FIT.sigma, 1e-3, 'σ (R: alpha)')
    expectWithin(fit.kappa, SPEC_SDM91_FIT.kappa, 1e-3, 'κ (R: beta, printed to 4 digits)')
    expectWithin(fit.lambda, SPEC_SDM91_FIT.lambda, 1e-4, 'λ (R: gamma)')
    expect(fit.points.map((p) => Math.round(p.fitted))).toEqual(SPEC_SDM91_FIT.fitted)
    const residuals = fit.points.map((p) => Math.round(p.residual * 10) / 10).sort((a, b) => a - b)
    expect([residuals[0], residuals[3], residuals[6]]).toEqual([-81.7, -25.1, 111.1])
    // R's peak.scalability: sqrt((1 - α) / β) = sqrt(0.9722715 / 0.0001044) = 96.5 users.
    expectWithin(fit.nStar!, 96.5, 2e-3, 'N*')
  })

  it.each([
    { sigma: 0.05, kappa: 0.001, lambda: 1000 },
    { sigma: 0.1, kappa: 0.01, lambda: 500 },
    { sigma: 0.2, kappa: 0.002, lambda: 2000 },
  ])('recovers σ=$sigma κ=$kappa λ=$lambda from noisy data over several seeds', (truth) => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const fit = fitUsl(synthetic(truth, [1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32], 0.01, seed))
      expect(Math.abs(fit.sigma - truth.sigma), `σ seed ${seed}`).toBeLessThan(0.02)
      expect(Math.abs(fit.kappa - truth.kappa), `κ seed ${seed}`).toBeLessThan(0.0005)
      expect(Math.abs(fit.lambda / truth.lambda - 1), `λ seed ${seed}`).toBeLessThan(0.03)
      expect(fit.r2).toBeGreaterThan(0.99)
      const nStar = Math.sqrt((1 - truth.sigma) / truth.kappa)
      expect(fit.nStar).not.toBeNull()
      expect(Math.abs(fit.nStar! / nStar - 1)).toBeLessThan(0.15)
    }
  })

  it('reports residuals and scaling efficiency per N', () => {
    const fit = fitUsl([
      { n: 1, throughput: 1000 },
      { n: 2, throughput: 1900 },
      { n: 4, throughput: 3400 },
      { n: 8, throughput: 5000 },
    ])
    expect(fit.points.map((p) => p.efficiency)).toEqual([1, 0.95, 0.85, 0.625])
    for (const p of fit.points) expect(p.residual).toBeCloseTo(p.throughput - p.fitted, 9)
    expect(fit.nStar).toBeGreaterThan(8)
  })

  it('says "still rising" (no N*) when the data shows no retrograde region', () => {
    const fit = fitUsl(synthetic({ sigma: 0.03, kappa: 0, lambda: 800 }, [1, 2, 4, 6, 8], 0.005, 7))
    expect(fit.nStar).toBeNull()
    expect(fit.xStar).toBeNull()
    expect(fit.note).toMatch(/no retrograde region measured.*throughput still rising/)
    expect(Math.abs(fit.sigma - 0.03)).toBeLessThan(0.02)
  })

  it('perfectly linear data fits σ = κ = 0', () => {
    const fit = fitUsl([1, 2, 3, 4].map((n) => ({ n, throughput: 250 * n })))
    expect(fit.sigma).toBeLessThan(1e-6)
    expect(fit.kappa).toBeLessThan(1e-9)
    expect(fit.lambda).toBeCloseTo(250, 3)
    expect(fit.r2).toBeCloseTo(1, 9)
  })

  it('answers degenerate inputs explicitly, with finite numbers only', () => {
    const cases = [
      fitUsl([]),
      fitUsl([{ n: 2, throughput: 900 }]),
      fitUsl([
        { n: 1, throughput: 1000 },
        { n: 3, throughput: 2500 },
      ]),
      fitUsl([
        { n: 1, throughput: 0 },
        { n: 2, throughput: 0 },
        { n: 3, throughput: 0 },
      ]),
      fitUsl([
        { n: 1, throughput: 100 },
        { n: 1, throughput: 110 },
        { n: 2, throughput: Number.NaN },
      ]),
      fitUsl([
        { n: 1, throughput: 100 },
        { n: 2, throughput: 100 },
        { n: 3, throughput: 100 },
      ]),
    ]
    for (const fit of cases) {
      const json = JSON.stringify(fit)
      expect(json).not.toMatch(/NaN|Infinity/)
      for (const k of ['sigma', 'kappa', 'lambda', 'r2'] as const) expect(Number.isFinite(fit[k]), `${k} in ${json}`).toBe(true)
    }
    expect(cases[0]!.note).toMatch(/nothing to fit/)
    expect(cases[1]!.note).toMatch(/only one replica count/)
    expect(cases[1]!.lambda).toBe(450)
    expect(cases[2]!.note).toMatch(/only 2 replica counts.*κ fixed at 0/)
    expect(cases[2]!.sigma).toBeCloseTo(0.1, 6)
    expect(cases[2]!.nStar).toBeNull()
    expect(cases[4]!.points).toEqual([expect.objectContaining({ n: 1, throughput: 105 })])
    // Flat throughput: all contention.
    expect(cases[5]!.sigma).toBeGreaterThan(0.95)
  })
})
