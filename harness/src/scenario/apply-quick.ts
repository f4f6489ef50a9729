import type { LoadModel } from '../workload/workload.js'
import { loadDurationS } from './load-duration.js'
import type { Scenario } from './scenario.js'

const QUICK_DURATION_S = 5
const QUICK_DATASET = 1_000

/**
 * The `--quick` variant of a scenario: the scenario's own `quick` overrides, and short defaults
 * for anything they leave out (5 s measured, 1 s warm-up, a small dataset, one repetition).
 * Faults keep their relative position in the shorter run. Called once by the CLI after loading.
 */
export function applyQuick(s: Scenario): Scenario {
  const q = s.quick ?? {}
  const load: LoadModel = q.load ?? shorten(s.load)
  const scale = loadDurationS(load) / Math.max(loadDurationS(s.load), 1e-9)
  return {
    ...s,
    load,
    warmupS: q.warmup?.durationS ?? Math.min(s.warmupS, 1),
    // A first look stays short: the warm-up is fixed unless the quick settings say otherwise.
    warmupMaxS: q.warmup?.maxS ?? q.warmup?.durationS ?? Math.min(s.warmupS, 1),
    repetitions: q.repetitions ?? 1,
    matrix: q.matrix ?? s.matrix,
    workload: { ...s.workload, datasetSize: q.datasetSize ?? Math.min(s.workload.datasetSize, QUICK_DATASET) },
    stress: s.stress ? { ...s.stress, stepDurationS: Math.min(s.stress.stepDurationS, 3), ...q.stress } : null,
    faults: s.faults.map((f) => ({ ...f, atS: Math.round(f.atS * Math.min(scale, 1) * 10) / 10 })),
  }
}

function shorten(load: LoadModel): LoadModel {
  if (load.model === 'closed') return { ...load, durationS: Math.min(load.durationS, QUICK_DURATION_S) }
  if (load.stages) {
    const total = load.stages.reduce((sum, st) => sum + st.durationS, 0)
    const factor = Math.min(1, (QUICK_DURATION_S + 1) / total)
    return { ...load, stages: load.stages.map((st) => ({ ...st, durationS: Math.max(0.5, st.durationS * factor) })) }
  }
  return { ...load, durationS: Math.min(load.durationS ?? QUICK_DURATION_S, QUICK_DURATION_S) }
}
