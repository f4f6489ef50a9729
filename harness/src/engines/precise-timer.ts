import { Worker } from 'node:worker_threads'

// A wake-up at a sub-millisecond time without busy-waiting. Node's timers have 1 ms
// granularity (the event loop's clock is in whole milliseconds), which makes an arrival up to
// ~1 ms late; spinning on setImmediate is precise but burns a core - on a machine the load
// generator shares with the system under test that is CPU taken from the measurement, and
// under CPU contention a spinning process is scheduled out for longer than it saves.
//
// So: a far wake-up sleeps on a normal timer that fires a little early; the last stretch is
// slept by a helper thread in Atomics.wait (a timed wait with microsecond resolution), which
// then posts a message that wakes the event loop (its poll returns at once: no lost
// millisecond). Wake-ups closer than SPIN_BELOW_MS are taken on the next event-loop turn.

/** Sleep on a normal timer when the wake-up is at least this far away (ms)... */
const TIMER_FROM_MS = 2
/** ...waking this much before it, so the timer's granularity never makes it late. */
const TIMER_EARLY_MS = 1.5
/** Closer than this, the next event-loop turn is soon enough (and cheaper than a thread hop). */
const SPIN_BELOW_MS = 0.05

// The helper thread. Control words: [0] sequence number of the current request (-1 = exit);
// due time in [1] as nanoseconds of process.hrtime (a clock both threads share), 0 = none.
const HELPER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads')
const ctl = new Int32Array(workerData, 0, 2)
const due = new Float64Array(workerData, 8, 1)
for (;;) {
  const seq = Atomics.load(ctl, 0)
  if (seq < 0) break
  const at = due[0]
  if (at === 0) { Atomics.wait(ctl, 0, seq); continue }
  const waitMs = (at - Number(process.hrtime.bigint())) / 1e6
  if (waitMs > 0 && Atomics.wait(ctl, 0, seq, waitMs) !== 'timed-out') continue
  if (Atomics.load(ctl, 0) !== seq) continue
  parentPort.postMessage(seq)
  Atomics.wait(ctl, 0, seq)
}
`

export class PreciseTimer {
  private readonly shared = new SharedArrayBuffer(16)
  private readonly ctl = new Int32Array(this.shared, 0, 2)
  private readonly due = new Float64Array(this.shared, 8, 1)
  private helper: Worker | null = null
  private seq = 0
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  private target = 0
  private closed = false
  private helperBroken = false

  /** Called once per wakeAt(), at or right after the requested time; set it before the first wakeAt(). */
  onWake: () => void = () => undefined

  /** Called before the first wake-up is needed (outside the measured phase): starts the helper thread, which takes a few milliseconds. */
  async start(): Promise<void> {
    this.ensureHelper()
    const helper = this.helper
    if (!helper) return
    helper.ref()
    await new Promise<void>((resolve) => {
      helper.once('online', () => resolve())
      helper.once('error', () => resolve())
    })
    helper.unref()
  }

  /** Called to (re)schedule the one pending wake-up at `perf` (a performance.now() time); replaces any earlier one. */
  wakeAt(perf: number): void {
    this.cancel()
    if (this.closed) return
    this.target = perf
    const wait = perf - performance.now()
    if (wait >= TIMER_FROM_MS) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.wakeAt(this.target)
      }, wait - TIMER_EARLY_MS)
    } else if (wait >= SPIN_BELOW_MS && !this.helperBroken) {
      this.ensureHelper()
      // Keeps the process alive while a wake-up is pending (the helper is unref'd otherwise).
      this.helper?.ref()
      this.due[0] = Number(process.hrtime.bigint()) + wait * 1e6
      this.seq = (this.seq + 1) & 0x3fffffff
      Atomics.store(this.ctl, 0, this.seq)
      Atomics.notify(this.ctl, 0)
    } else {
      this.immediate = setImmediate(this.fire)
    }
  }

  /** Called when the pending wake-up is no longer wanted. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer)
    if (this.immediate) clearImmediate(this.immediate)
    this.timer = this.immediate = undefined
    if (this.due[0] !== 0) {
      this.helper?.unref()
      this.due[0] = 0
      this.seq = (this.seq + 1) & 0x3fffffff
      Atomics.store(this.ctl, 0, this.seq)
      Atomics.notify(this.ctl, 0)
    }
  }

  /** Called at the end: no more wake-ups; the helper thread exits. */
  close(): void {
    this.cancel()
    this.closed = true
    Atomics.store(this.ctl, 0, -1)
    Atomics.notify(this.ctl, 0)
    const helper = this.helper
    this.helper = null
    if (helper) void helper.terminate()
  }

  private readonly fire = (): void => {
    this.immediate = undefined
    this.onWake()
  }

  private ensureHelper(): void {
    if (this.helper) return
    const helper = new Worker(HELPER_SOURCE, { eval: true, workerData: this.shared })
    helper.on('message', (seq: number) => {
      // A message for a wake-up that was replaced or cancelled meanwhile is stale.
      if (seq !== this.seq || this.due[0] === 0 || this.closed) return
      this.due[0] = 0
      helper.unref()
      this.onWake()
    })
    helper.on('error', () => {
      // Without the helper, wake-ups fall back to the next event-loop turn (precise, but busy).
      this.helper = null
      this.helperBroken = true
      if (this.due[0] !== 0 && !this.closed) {
        this.due[0] = 0
        this.immediate = setImmediate(this.fire)
      }
    })
    // The helper must not keep the process alive on its own.
    helper.unref()
    this.helper = helper
  }
}
