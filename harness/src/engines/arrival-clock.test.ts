import { afterEach, describe, expect, it } from 'vitest'
import { ArrivalClock, hrtimeNsAt, WAKE_LEAD_MS } from './arrival-clock.js'
import { ArrivalSchedule } from './arrival-schedule.js'

// Two arrivals, at 0 and 50 ms: the second is the plan's last, and 50 ms after the first, so its
// wake-up comes WAKE_LEAD_MS early.
const twoArrivals = (): ArrivalSchedule => new ArrivalSchedule({ model: 'open', rate: 20, durationS: 0.1, maxInFlight: 1 })
const LAST_MS = 50

let clock: ArrivalClock | undefined
afterEach(() => {
  clock?.close()
  clock = undefined
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('ArrivalClock', () => {
  it('wakes an armed engine at its next arrival’s wake-up time, not before', async () => {
    clock = new ArrivalClock(twoArrivals())
    await clock.ready()
    const startPerf = performance.now()
    const wakeAt = startPerf + LAST_MS - WAKE_LEAD_MS
    const woken: number[] = []
    // As the engine does: a wake-up finding nothing due (the helper passing the first arrival,
    // which the engine took itself) re-arms for the next.
    clock.begin(startPerf, () => {
      const now = performance.now()
      woken.push(now)
      if (now < wakeAt) clock?.arm(wakeAt)
    })
    expect(clock.arm(wakeAt)).toBe(true)
    await sleep(LAST_MS + 200)
    expect(woken.length).toBeLessThanOrEqual(2)
    expect(woken.at(-1)).toBeGreaterThanOrEqual(wakeAt - 0.05)
  })

  it('an engine that arms only after the last arrival’s wake-up time (its thread was scheduled out) is told to take the arrival itself: the helper passed it and will not wake anyone', async () => {
    clock = new ArrivalClock(twoArrivals())
    await clock.ready()
    const startPerf = performance.now()
    const woken: number[] = []
    clock.begin(startPerf, () => woken.push(performance.now()))
    // This thread is held past the wake-up time, as a loaded machine holds an engine between
    // finding its next arrival not yet due and arming the clock for it.
    while (performance.now() < startPerf + LAST_MS + 20) {
      // busy: the helper thread runs on without this one
    }
    expect(clock.arm(startPerf + LAST_MS - WAKE_LEAD_MS)).toBe(false)
    await sleep(200)
    expect(woken).toEqual([])
  })

  it('converts performance.now() times to process.hrtime to within microseconds (the helper thread waits on hrtime)', () => {
    for (let i = 0; i < 100; i++) {
      const before = performance.now()
      const hr = Number(process.hrtime.bigint())
      const after = performance.now()
      // hrtime was read between the two: its conversion lies between theirs (10 µs of rounding either way).
      expect(hrtimeNsAt(before)).toBeLessThanOrEqual(hr + 10_000)
      expect(hrtimeNsAt(after)).toBeGreaterThanOrEqual(hr - 10_000)
    }
  })
})
