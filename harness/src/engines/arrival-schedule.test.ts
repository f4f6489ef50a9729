import { describe, expect, it } from 'vitest'
import { ArrivalSchedule } from './arrival-schedule.js'

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
    const s = new ArrivalSchedule({ model: 'open', stages: [{ durationS: 10, target: 100 }, { durationS: 5, target: 100 }], maxInFlight: 10 })
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
    const times = all(new ArrivalSchedule({ model: 'open', stages: [{ durationS: 0, target: 50 }, { durationS: 2, target: 50 }], maxInFlight: 10 }))
    expect(times).toHaveLength(100)
  })

  it('rejects a plan without rate or stages with a message saying what to set', () => {
    expect(() => new ArrivalSchedule({ model: 'open', maxInFlight: 1 })).toThrow(/rate and durationS, or stages/)
  })
})
