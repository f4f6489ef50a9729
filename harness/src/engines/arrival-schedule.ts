import type { LoadModel } from '../workload/workload.js'
import { checkSegment, shareOf, WHOLE_LOAD, type ExecutionSegment } from '../workload/execution-segment.js'

// When each request of an open-model run is meant to start. The rate is piecewise linear
// (constant rate = one flat stage; ramping stages start from 0 req/s, a 0-second stage jumps
// the rate). Arrival k is due when the cumulative arrivals N(t) = ∫rate reach k, so times are
// computed from the start, never from timer deltas: a late timer cannot make the run drift.
// A load agent's schedule is its execution segment of the whole one: arrivals k = i, i+N, ...
// at exactly the times the whole schedule gives them.

type OpenLoad = Extract<LoadModel, { model: 'open' }>

/** A stretch of the plan where the rate goes linearly from r0 to r1; n0 arrivals came before it. */
export interface ScheduleSegment {
  startS: number
  durationS: number
  r0: number
  r1: number
  n0: number
}

/**
 * Offset (ms from the start) of arrival k of the whole plan, or null past its end. `cursor.seg`
 * is where to start looking (arrivals are asked for in increasing k). Self-contained on
 * purpose - no reference outside its body - because ArrivalClock runs a copy of it in a helper
 * thread, which must compute exactly the same times.
 */
export function arrivalOffsetMs(segments: readonly ScheduleSegment[], totalArrivals: number, k: number, cursor: { seg: number }): number | null {
  // Floating-point rounding must not add an arrival beyond the plan's count at its very end.
  if (k >= totalArrivals) return null
  while (cursor.seg < segments.length) {
    const s = segments[cursor.seg]!
    const m = k - s.n0
    const inSeg = ((s.r0 + s.r1) / 2) * s.durationS
    if (m < inSeg) {
      // Solve r0·τ + a·τ² = m with a = (r1-r0)/(2D); this form is stable for a ≈ 0 and r0 = 0.
      const a = (s.r1 - s.r0) / (2 * s.durationS)
      const disc = Math.max(0, s.r0 * s.r0 + 4 * a * m)
      const denom = s.r0 + Math.sqrt(disc)
      const tau = denom > 0 ? (2 * m) / denom : 0
      return (s.startS + Math.min(tau, s.durationS)) * 1000
    }
    cursor.seg++
  }
  return null
}

export class ArrivalSchedule {
  /** The plan as data (what ArrivalClock's helper thread gets). */
  readonly segments: ScheduleSegment[] = []
  /** The slice of the plan this schedule walks. */
  readonly segment: ExecutionSegment
  /** Planned length of the run in seconds. */
  readonly totalS: number
  /** Arrivals the whole plan makes (ceil of the integral of the rate). */
  readonly totalArrivals: number
  /** Arrivals of this schedule's segment. */
  readonly segmentArrivals: number
  private k: number
  private readonly step: number
  private readonly cursor = { seg: 0 }

  constructor(load: OpenLoad, segment: ExecutionSegment = WHOLE_LOAD) {
    this.segment = checkSegment(segment)
    this.k = segment.index
    this.step = segment.count
    const stages = load.stages ?? []
    if (load.rate !== undefined && stages.length > 0) {
      throw new Error('load: set either rate (with durationS) or stages for the open model, not both')
    }
    let t = 0
    let n = 0
    let r = 0
    const push = (durationS: number, r0: number, r1: number): void => {
      if (durationS > 0) {
        this.segments.push({ startS: t, durationS, r0, r1, n0: n })
        n += ((r0 + r1) / 2) * durationS
        t += durationS
      }
    }
    if (load.rate !== undefined) {
      if (!(load.rate > 0)) throw new Error(`load.rate must be > 0 req/s, got ${load.rate}`)
      if (!(load.durationS !== undefined && load.durationS > 0)) throw new Error(`load.durationS must be > 0 with load.rate, got ${load.durationS}`)
      push(load.durationS, load.rate, load.rate)
    } else {
      if (stages.length === 0) throw new Error('load: the open model needs rate and durationS, or stages [{durationS, target}]')
      stages.forEach((s, i) => {
        if (!(s.durationS >= 0) || !(s.target >= 0)) throw new Error(`load.stages[${i}] needs durationS >= 0 and target >= 0 req/s, got ${JSON.stringify(s)}`)
        push(s.durationS, r, s.target)
        r = s.target
      })
    }
    if (t <= 0) throw new Error('load: the open model plan has no duration (all stages are 0 s long)')
    this.totalS = t
    this.totalArrivals = Math.ceil(n - 1e-9)
    this.segmentArrivals = shareOf(this.totalArrivals, segment)
  }

  /** Planned arrival rate (req/s) at `tS` seconds after the start. */
  rateAt(tS: number): number {
    for (const s of this.segments) {
      if (tS < s.startS + s.durationS) return s.r0 + ((s.r1 - s.r0) * Math.max(0, tS - s.startS)) / s.durationS
    }
    return 0
  }

  /** Planned arrivals in [0, tS]: the integral of the rate. */
  cumulative(tS: number): number {
    let n = 0
    for (const s of this.segments) {
      const tau = Math.min(Math.max(0, tS - s.startS), s.durationS)
      n = s.n0 + s.r0 * tau + ((s.r1 - s.r0) * tau * tau) / (2 * s.durationS)
      if (tS < s.startS + s.durationS) break
    }
    return n
  }

  /** Called in a loop by the engine: the offset (ms from the start) of the next arrival, or null when the plan is done. */
  next(): number | null {
    const offset = arrivalOffsetMs(this.segments, this.totalArrivals, this.k, this.cursor)
    if (offset !== null) this.k += this.step
    return offset
  }
}
