import { describe, expect, it } from 'vitest'
import { hasSettled, mserTruncation, type WarmupSample } from './warm-up.js'

const steady = (n: number, rps = 300, p95 = 10): WarmupSample[] =>
  Array.from({ length: n }, (_, i) => ({ rps: rps + (i % 2 ? 5 : -5), p95: p95 * (i % 3 === 0 ? 1.05 : 0.97) }))

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
})
