import { describe, expect, it } from 'vitest'
import { makeRunResult } from '../../test/fixtures/suite-fixtures.js'
import { findMeanShift } from './change-point.js'
import { findColdRuns } from './cold-runs.js'
import { hasSettled, mserTruncation, type WarmupSample } from './warm-up.js'

const steady = (n: number, rps = 300, p95 = 10): WarmupSample[] => Array.from({ length: n }, (_, i) => ({ rps: rps + (i % 2 ? 5 : -5), p95: p95 * (i % 3 === 0 ? 1.05 : 0.97) }))

describe('warm-up detection', () => {
  it('keeps warming while p95 falls or closed-model throughput rises, and stops once both are flat', () => {
    const cooling: WarmupSample[] = [40, 30, 22, 16, 12, 10].map((p95) => ({ rps: 300, p95 }))
    expect(hasSettled(cooling)).toBe(false)
    const rising: WarmupSample[] = [150, 180, 220, 260, 290, 300].map((rps) => ({ rps, p95: 10 }))
    expect(hasSettled(rising)).toBe(false)
    // An open model's throughput follows the arrival rate: only latency counts there.
    expect(hasSettled(rising, { throughputRise: null })).toBe(true)
    expect(hasSettled([...cooling, ...steady(6)])).toBe(true)
    // One slow second (a GC pause) neither ends nor extends it.
    expect(hasSettled([...steady(5), { rps: 300, p95: 200 }])).toBe(true)
    expect(hasSettled(steady(5))).toBe(false)
  })

  it('finds where a measured phase stops warming (MSER) and nothing in a steady one', () => {
    const transient = [80, 60, 45, 30, ...Array.from({ length: 16 }, (_, i) => 10 + (i % 3))]
    expect(mserTruncation(transient)).toBeGreaterThanOrEqual(3)
    expect(mserTruncation(Array.from({ length: 20 }, (_, i) => 10 + (i % 3)))).toBeLessThan(2)
  })

  it('reports a cold first repetition and a run that began warming, and stays quiet on warm ones', () => {
    const warm = [1, 2, 3].map((repetition) => makeRunResult({ cell: { cache: 'lru' }, repetition, medianMs: 10, durationS: 20, seed: repetition }))
    expect(findColdRuns([{ cellLabel: 'cache=lru', runs: warm }])).toEqual([])
    const cold = makeRunResult({ cell: { cache: 'lru' }, repetition: 1, medianMs: 30, durationS: 20, seed: 9 })
    cold.startedAt = '2025-12-31T23:59:00.000Z'
    const found = findColdRuns([{ cellLabel: 'cache=lru', runs: [cold, ...warm.slice(1)] }])
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ runId: 'cache=lru #1', kind: 'first-repetition', metric: 'p95' })
    expect(found[0].text).toMatch(/cache=lru #1 looks cold: p95 latency \d+\.\d ms against \d+\.\d+ ms in the other repetitions of cache=lru/)
    const starting = makeRunResult({ cell: { cache: 'lru' }, repetition: 1, medianMs: 10, durationS: 20, seed: 4 })
    starting.timeSeries = starting.timeSeries.map((p) => (p.t < 4 ? { ...p, p95: p.p95 * 4 } : p))
    const transient = findColdRuns([{ cellLabel: 'cache=lru', runs: [starting] }])
    expect(transient).toEqual([expect.objectContaining({ kind: 'start-of-run', runId: 'cache=lru #1' })])
    expect(transient[0].text).toMatch(/its first [3-9] s were still warming up/)
  })
})

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
