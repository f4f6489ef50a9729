import type { LoadModel } from '../workload/workload.js'

/** Seconds the measured phase of a load lasts (the sum of the stages for a ramp). */
export function loadDurationS(load: LoadModel): number {
  if (load.model === 'closed') return load.durationS
  if (load.stages) return load.stages.reduce((sum, st) => sum + st.durationS, 0)
  return load.durationS ?? 0
}
