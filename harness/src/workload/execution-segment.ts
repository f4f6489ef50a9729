import type { LoadModel } from './workload.js'

// How N load agents share one scenario's load: k6's execution segments, cut into N equal
// slices. Element k of anything countable - arrival k of the open model's schedule, connection
// k of the closed model - belongs to slice k mod N (k6's striping of an equal segment
// sequence). So slice i of N gets every N-th arrival: the slices' arrivals interleave evenly
// and their union is exactly the whole schedule; and it gets ceil((C - i) / N) of C
// connections: the slices' connections add up to C.

export interface ExecutionSegment {
  /** 0-based, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX. */
  index: number
  count: number
}

/** The whole load, undivided (an engine run on its own). */
export const WHOLE_LOAD: ExecutionSegment = { index: 0, count: 1 }

/** Throws unless 0 <= index < count (integers): a message that names both. */
export function checkSegment(s: ExecutionSegment): ExecutionSegment {
  if (!Number.isInteger(s.count) || s.count < 1) throw new Error(`the agent count must be an integer >= 1, got ${s.count}`)
  if (!Number.isInteger(s.index) || s.index < 0 || s.index >= s.count)
    throw new Error(`the agent index must be an integer from 0 to ${s.count - 1} (count ${s.count}), got ${s.index}`)
  return s
}

/** How many of `total` elements (0..total-1) belong to the slice. */
export function shareOf(total: number, s: ExecutionSegment): number {
  return total <= s.index ? 0 : Math.ceil((total - s.index) / s.count)
}

/** "agent 1 of 4" (0-based index, as the agents are numbered). */
export function describeSegment(s: ExecutionSegment): string {
  return `agent ${s.index} of ${s.count}`
}

/** The most slices a load can be cut into with at least one connection (closed) or in-flight request (open) in each. */
export function maxSlices(load: LoadModel): number {
  return load.model === 'closed' ? load.connections : load.maxInFlight
}
