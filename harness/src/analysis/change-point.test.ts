import { describe, expect, it } from 'vitest'
import { findMeanShift } from './change-point.js'

describe('findMeanShift', () => {
  it('finds a real shift in a history and none in noise', () => {
    const noise = [0.1, -0.2, 0.05, 0.15, -0.1, 0, -0.05, 0.2, -0.15, 0.1]
    const shifted = noise.map((v, i) => v + (i >= 6 ? 2 : 0))
    const shift = findMeanShift(shifted, { seed: 3 })!
    expect(shift.index).toBe(6)
    expect(shift.pValue).toBeLessThan(0.01)
    expect(shift.after - shift.before).toBeCloseTo(2 + (0.0375 - 0.0), 0)
    expect(findMeanShift(noise, { seed: 3 })!.pValue).toBeGreaterThan(0.05)
    expect(findMeanShift([1, 2, 3], { seed: 3 })).toBeNull()
  })
})
