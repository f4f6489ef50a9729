import { Worker } from 'node:worker_threads'
import { arrivalOffsetMs, type ArrivalSchedule } from './arrival-schedule.js'

// Wakes the native engine's event loop when its next arrival is due, to the microsecond and
// without busy-waiting. Node's timers have 1 ms granularity (the event loop's clock counts
// whole milliseconds), which sends arrivals up to ~1 ms late; spinning on setImmediate is
// precise but burns a core - CPU taken from the system under test when both share a machine,
// and under CPU contention a spinning process is scheduled out for longer than it saves.
//
// So a helper thread walks the same schedule (the same arrivalOffsetMs, on the same clock:
// process.hrtime is shared by all threads), sleeps in Atomics.wait until each arrival is due
// (a timed wait with microsecond resolution) and posts a message, which wakes the event loop at
// once. It posts only while the engine is ARMED - waiting for its next arrival with nothing
// else to do; an engine busy with responses finds due arrivals itself when it re-arms. The
// engine never has to signal the helper per arrival (a cross-thread wake costs tens of
// microseconds on a virtual machine), so the cost is one message per arrival that finds the
// engine idle, and none at high rates where it rarely is.
//
// That message still takes a few hundred microseconds to wake the event loop on a virtual
// machine (measured: schedule lag p50 0.3-0.4 ms). So the helper posts WAKE_LEAD_MS before the
// arrival is due, and the engine, woken early, polls the last fraction of a millisecond on
// setImmediate turns (see NativeEngine's pump): precise to microseconds, bounded to WAKE_LEAD_MS
// of CPU per idle arrival, and responses still get in between. Only arrivals at least
// SPIN_MIN_GAP_MS apart get that: at higher rates the polling would never stop.

// Control words: [0] state (0 = waiting to begin, 1 = running, 2 = stop), [1] armed (1 = the
// engine wants a wake-up); then the start time in process.hrtime nanoseconds.
const HELPER_SOURCE = (offsetFn: string): string => `
const { workerData, parentPort } = require('node:worker_threads')
const { shared, segments, totalArrivals, index, step, leadMs, spinMinGapMs } = workerData
const ctl = new Int32Array(shared, 0, 2)
const start = new Float64Array(shared, 8, 1)
${offsetFn}
while (Atomics.load(ctl, 0) === 0) Atomics.wait(ctl, 0, 0)
const cursor = { seg: 0 }
let previous = -Infinity
for (let k = index; Atomics.load(ctl, 0) === 1; k += step) {
  const offset = arrivalOffsetMs(segments, totalArrivals, k, cursor)
  if (offset === null) break
  const due = start[0] + (offset - (offset - previous >= spinMinGapMs ? leadMs : 0)) * 1e6
  previous = offset
  for (;;) {
    const waitMs = (due - Number(process.hrtime.bigint())) / 1e6
    if (waitMs <= 0) break
    if (Atomics.wait(ctl, 0, 1, waitMs) !== 'timed-out' && Atomics.load(ctl, 0) !== 1) break
  }
  if (Atomics.load(ctl, 0) !== 1) break
  if (Atomics.exchange(ctl, 1, 0) === 1) parentPort.postMessage(k)
}
`

/** How long before an arrival is due the helper wakes the engine (ms): the event loop's wake-up cost on a VM, with margin. */
export const WAKE_LEAD_MS = 0.4

/**
 * Only an arrival at least this far (ms) after the previous one gets the early wake-up and the
 * engine's polling before it, so polling costs at most WAKE_LEAD_MS / SPIN_MIN_GAP_MS (20%) of a
 * core. Denser schedules would have the engine polling all the time: a whole core, taken from
 * the target when both share a machine, and a process that busy is the one the scheduler makes
 * wait. Measured with fresh agents at 5,000 req/s on 2 cores, alternating: median p99 22.0 ms
 * polling, 9.5 ms without. Their arrivals go out when the clock wakes the engine at their
 * time, ~0.1-0.2 ms late (the schedule lag in the run's validity notes says by how much).
 */
export const SPIN_MIN_GAP_MS = 2

/** Closer than this (ms) to its wake-up, the engine takes an arrival on its next event-loop turns instead of waiting for the clock. */
const CLOCK_SLACK_MS = 0.02

/**
 * process.hrtime (ns) at `perfMs` (performance.now() time). Both read the same monotonic clock
 * from different origins; the offset comes from reads back to back. A thread scheduled out
 * between the two reads would make it wrong by as long as it was out (milliseconds on a loaded
 * machine), and the helper would then wake the engine that much early for every arrival - too
 * early to fire it, so each would wait for the next wake-up. So the reads are bracketed and
 * retried until one pair is close together.
 */
export function hrtimeNsAt(perfMs: number): number {
  let best = { gapMs: Number.POSITIVE_INFINITY, offsetNs: 0 }
  for (let i = 0; i < 20 && best.gapMs > 0.005; i++) {
    const before = performance.now()
    const hr = Number(process.hrtime.bigint())
    const after = performance.now()
    if (after - before < best.gapMs) best = { gapMs: after - before, offsetNs: hr - ((before + after) / 2) * 1e6 }
  }
  return best.offsetNs + perfMs * 1e6
}

export class ArrivalClock {
  private readonly shared = new SharedArrayBuffer(16)
  private readonly ctl = new Int32Array(this.shared, 0, 2)
  private readonly start = new Float64Array(this.shared, 8, 1)
  private readonly helper: Worker
  private onDue: () => void = () => undefined
  private closed = false

  /** Starts the helper thread for `schedule` (fresh: nothing taken from it yet). */
  constructor(schedule: ArrivalSchedule) {
    const { index, count } = schedule.segment
    this.helper = new Worker(HELPER_SOURCE(arrivalOffsetMs.toString()), {
      eval: true,
      workerData: {
        shared: this.shared,
        segments: schedule.segments,
        totalArrivals: schedule.totalArrivals,
        index,
        step: count,
        leadMs: WAKE_LEAD_MS,
        spinMinGapMs: SPIN_MIN_GAP_MS,
      },
    })
    this.helper.on('message', () => {
      if (!this.closed) this.onDue()
    })
    this.helper.on('error', (err) => {
      // Without the helper the engine would never wake: make that loud rather than a silent stall.
      if (!this.closed) process.emitWarning(`the arrival clock's helper thread failed: ${err.message}`)
    })
  }

  /** Called before the measured phase: resolves once the helper thread is running (it takes a few milliseconds to start). */
  async ready(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.helper.once('online', () => resolve())
      this.helper.once('error', reject)
    })
  }

  /** Called when the measured phase begins at `startPerf` (performance.now()); `onDue` is called WAKE_LEAD_MS before an arrival is due while armed. */
  begin(startPerf: number, onDue: () => void): void {
    this.onDue = onDue
    this.start[0] = hrtimeNsAt(startPerf)
    Atomics.store(this.ctl, 0, 1)
    Atomics.notify(this.ctl, 0)
  }

  /**
   * Called by the engine when it has fired everything due and waits for its next arrival, whose
   * wake-up is due at `wakeAtPerf` (performance.now() time). True: the helper will wake the engine
   * then. False: that time is (nearly) here, and the engine takes the arrival on its own turns.
   *
   * The check comes after arming, not before: a thread scheduled out between a check and the arming
   * (a loaded machine does that for milliseconds) would arm too late - the helper, finding the
   * engine not armed, passes the arrival without waking anyone, counting on the engine to find it
   * when it re-arms. The helper's pass happens after the arrival's wake-up time, so a check after
   * arming sees that time has come. Checking only before would leave the engine waiting for a
   * wake-up that never comes - after the plan's last arrival, for ever.
   */
  arm(wakeAtPerf: number): boolean {
    Atomics.store(this.ctl, 1, 1)
    if (wakeAtPerf - performance.now() > CLOCK_SLACK_MS) return true
    Atomics.store(this.ctl, 1, 0)
    return false
  }

  /** Called by the engine when it runs (woken or not): it finds due arrivals itself and re-arms after. */
  disarm(): void {
    Atomics.store(this.ctl, 1, 0)
  }

  /** Called at the end (and when the run is aborted): the helper thread exits. */
  close(): void {
    if (this.closed) return
    this.closed = true
    Atomics.store(this.ctl, 0, 2)
    Atomics.notify(this.ctl, 0)
    void this.helper.terminate()
  }
}
