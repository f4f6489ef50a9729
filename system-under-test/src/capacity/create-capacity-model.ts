// The emulated capacity of one process. A request first waits (FIFO) for one of `slots`, then
// "works" for its service time while holding the slot, then runs its real handler and gives the
// slot back through release(). Holding the slot until the response is done (not only during the
// emulated work) is deliberate: a slow store or a slow client also occupies the server, as it
// would in a thread-per-request server.

import { ConfigurationError } from '../config/configuration-error.js'
import type { CapacityModel, CapacityOptions, CapacityStats } from './capacity-model.js'

export const DEFAULT_CAPACITY: CapacityOptions = Object.freeze({
  serviceTime: Object.freeze({ kind: 'off' as const }),
  slots: 8,
  queueLimit: 64,
  slowdown: 1,
})

const SERVICE_TIME_FORMS = '`off`, `constant:<ms>` or `exp:<ms>` (for example constant:5 or exp:2.5)'

/**
 * Parses the `--service-time` flag. Called once at start-up by the shard and replica CLIs; a bad
 * value throws a ConfigurationError that names the value and the accepted forms (the CLI exits 2 with it).
 */
export function parseServiceTime(text: string): CapacityOptions['serviceTime'] {
  const trimmed = text.trim()
  if (trimmed === 'off') return { kind: 'off' }
  const match = /^(constant|exp):(.+)$/.exec(trimmed)
  const ms = match ? Number(match[2]) : Number.NaN
  if (!match || !Number.isFinite(ms) || ms < 0) {
    throw new ConfigurationError(`--service-time "${text}" is not valid: use ${SERVICE_TIME_FORMS}, with <ms> a number of milliseconds >= 0`)
  }
  return match[1] === 'constant' ? { kind: 'constant', ms } : { kind: 'exponential', meanMs: ms }
}

/** Test seams; production code passes nothing. */
export interface CapacityModelDeps {
  /** Uniform random numbers in [0, 1) for the exponential distribution. */
  random?: () => number
}

/** A request waiting for a slot. */
interface Waiter {
  grant: () => void
  /** Set once it was granted or abandoned, so it is never handled twice. */
  settled: boolean
}

/**
 * Builds the capacity model of one process. Called once at start-up by the shard and replica
 * CLIs (and by tests). Throws a ConfigurationError naming the flag when slots/queueLimit are out
 * of range (an Error for a bad slowdown).
 */
export function createCapacityModel(o: CapacityOptions, deps: CapacityModelDeps = {}): CapacityModel {
  if (!Number.isInteger(o.slots) || o.slots < 1) {
    throw new ConfigurationError(`--slots ${o.slots} is not valid: use a whole number >= 1`)
  }
  if (!Number.isInteger(o.queueLimit) || o.queueLimit < 0) {
    throw new ConfigurationError(`--queue-limit ${o.queueLimit} is not valid: use a whole number >= 0`)
  }
  checkSlowdown(o.slowdown)
  const random = deps.random ?? Math.random
  const serviceTime = o.serviceTime
  let slowdown = o.slowdown
  let inService = 0
  let rejected = 0
  let served = 0
  let abandoned = 0
  // FIFO queue as an array with a moving head: O(1) shift without Array#shift's copying.
  let queue: (Waiter | undefined)[] = []
  let head = 0
  let queuedNow = 0

  const stats = (): CapacityStats => ({ inService, queued: queuedNow, rejected, served, abandoned })
  const setSlowdown = (factor: number): void => {
    checkSlowdown(factor)
    slowdown = factor
  }

  if (serviceTime.kind === 'off') {
    // Full speed: no slots, no queue, no timers. The counters still move so /metrics shows load.
    const admitFree = (): Promise<(() => void) | null> => {
      inService++
      let released = false
      return Promise.resolve(() => {
        if (released) return
        released = true
        inService--
        served++
      })
    }
    return { admit: admitFree, setSlowdown, stats }
  }

  // Node timers fire after at least 1 ms, so a sampled time in (0, 1) ms takes about 1 ms: keep
  // means well above 1 ms (a few ms and up) when the exact distribution matters.
  const sampleMs = (): number => {
    const base =
      serviceTime.kind === 'constant'
        ? serviceTime.ms
        : // Inverse-CDF sampling; 1 - u keeps the argument of log in (0, 1].
          -serviceTime.meanMs * Math.log(1 - random())
    return base * slowdown
  }

  /** Hands a freed slot to the oldest waiter still waiting, or returns it to the pool. */
  const freeSlot = (): void => {
    while (head < queue.length) {
      const next = queue[head]
      queue[head] = undefined // let the settled waiter be collected
      head++
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head)
        head = 0
      }
      if (!next || next.settled) continue
      queuedNow--
      next.settled = true
      next.grant() // the slot passes straight on: inService stays the same
      return
    }
    inService--
  }

  const admit = (signal?: AbortSignal): Promise<(() => void) | null> => {
    if (signal?.aborted) {
      abandoned++
      return Promise.resolve(null)
    }
    return new Promise<(() => void) | null>((resolve) => {
      let timer: NodeJS.Timeout | undefined
      let holdsSlot = false
      let done = false
      const onAbort = (): void => {
        if (done) return
        done = true
        abandoned++
        if (waiter && !waiter.settled) {
          waiter.settled = true // left in the array; freeSlot skips it
          queuedNow--
        }
        if (timer) clearTimeout(timer)
        if (holdsSlot) freeSlot()
        resolve(null)
      }
      const finishService = (): void => {
        if (done) return
        done = true
        signal?.removeEventListener('abort', onAbort)
        let released = false
        resolve(() => {
          if (released) return
          released = true
          served++
          freeSlot()
        })
      }
      const startService = (): void => {
        holdsSlot = true
        const ms = sampleMs()
        if (ms <= 0) finishService()
        else timer = setTimeout(finishService, ms)
      }
      let waiter: Waiter | undefined
      if (inService < o.slots && queuedNow === 0) {
        inService++
        startService()
      } else if (queuedNow >= o.queueLimit) {
        rejected++
        done = true
        resolve(null)
        return
      } else {
        waiter = { grant: startService, settled: false }
        queue.push(waiter)
        queuedNow++
      }
      if (!done) signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  return { admit, setSlowdown, stats }
}

function checkSlowdown(factor: number): void {
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new Error(`slowdown factor ${factor} is not valid: use a number > 0 (1 = normal speed)`)
  }
}
