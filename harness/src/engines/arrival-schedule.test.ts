import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { LoadModel } from '../workload/workload.js'
import { ArrivalSchedule } from './arrival-schedule.js'
import { shareOf } from '../workload/execution-segment.js'

const all = (s: ArrivalSchedule): number[] => {
  const out: number[] = []
  for (let t = s.next(); t !== null; t = s.next()) out.push(t)
  return out
}

describe('ArrivalSchedule', () => {
  it('constant rate: evenly spaced arrivals from the start, rate x duration of them', () => {
    const times = all(new ArrivalSchedule({ model: 'open', rate: 100, durationS: 2, maxInFlight: 10 }))
    expect(times).toHaveLength(200)
    expect(times[0]).toBe(0)
    expect(times[1]).toBeCloseTo(10)
    expect(times[199]).toBeCloseTo(1990)
  })

  it('ramping stages: the rate interpolates linearly (0 -> 100 over 10 s gives 500 arrivals, denser at the end)', () => {
    const s = new ArrivalSchedule({
      model: 'open',
      stages: [
        { durationS: 10, target: 100 },
        { durationS: 5, target: 100 },
      ],
      maxInFlight: 10,
    })
    expect(s.totalS).toBe(15)
    expect(s.rateAt(5)).toBeCloseTo(50)
    expect(s.cumulative(10)).toBeCloseTo(500)
    const times = all(s)
    expect(times).toHaveLength(1000)
    expect(times.filter((t) => t < 5000)).toHaveLength(125) // ∫0..5 of 10t dt
    expect(times.filter((t) => t >= 10_000)).toHaveLength(500)
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })

  it('a 0-second stage jumps the rate', () => {
    const times = all(
      new ArrivalSchedule({
        model: 'open',
        stages: [
          { durationS: 0, target: 50 },
          { durationS: 2, target: 50 },
        ],
        maxInFlight: 10,
      }),
    )
    expect(times).toHaveLength(100)
  })

  it('rejects a plan without rate or stages with a message saying what to set', () => {
    expect(() => new ArrivalSchedule({ model: 'open', maxInFlight: 1 })).toThrow(/rate and durationS, or stages/)
  })
})

type OpenLoad = Extract<LoadModel, { model: 'open' }>

const openLoad: fc.Arbitrary<OpenLoad> = fc.oneof(
  fc
    .record({ rate: fc.double({ min: 0.5, max: 20_000, noNaN: true }), durationS: fc.double({ min: 0.05, max: 3, noNaN: true }) })
    .map(({ rate, durationS }) => ({
      model: 'open' as const,
      rate,
      durationS: Math.min(durationS, 20_000 / rate),
      maxInFlight: 100,
    })),
  fc
    .array(fc.record({ durationS: fc.constantFrom(0, 0.5, 1, 2.5), target: fc.integer({ min: 0, max: 4000 }) }), { minLength: 1, maxLength: 4 })
    .filter((stages) => stages.some((s) => s.durationS > 0))
    .map((stages) => ({ model: 'open' as const, stages, maxInFlight: 100 })),
)

describe('ArrivalSchedule sliced between agents (execution segments)', () => {
  it('the union of the N slices’ arrival times is exactly the single schedule, for several N and rates', () => {
    fc.assert(
      fc.property(openLoad, fc.integer({ min: 1, max: 7 }), (load, n) => {
        const whole = all(new ArrivalSchedule(load))
        const slices = Array.from({ length: n }, (_, index) => all(new ArrivalSchedule(load, { index, count: n })))
        expect(slices.flat().sort((a, b) => a - b)).toEqual(whole)
        slices.forEach((times, index) => {
          // Every N-th arrival, in order: the slices interleave evenly.
          expect(times).toEqual(whole.filter((_, k) => k % n === index))
          expect(times.length).toBe(new ArrivalSchedule(load, { index, count: n }).segmentArrivals)
          expect(times.length).toBe(shareOf(whole.length, { index, count: n }))
        })
      }),
      { numRuns: 150 },
    )
  })

  it('closed model: the slices’ connections add up to the scenario’s, at most one apart', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 64 }), (connections, n) => {
        const shares = Array.from({ length: n }, (_, index) => shareOf(connections, { index, count: n }))
        expect(shares.reduce((a, b) => a + b, 0)).toBe(connections)
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1)
      }),
    )
  })

  it('refuses an index outside 0..N-1 with a message naming both', () => {
    expect(() => new ArrivalSchedule({ model: 'open', rate: 10, durationS: 1, maxInFlight: 1 }, { index: 3, count: 3 })).toThrow(
      /index must be an integer from 0 to 2 \(count 3\), got 3/,
    )
  })
})
