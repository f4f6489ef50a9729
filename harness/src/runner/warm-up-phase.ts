import { hasSettled, type WarmupSample } from '../analysis/warm-up.js'
import type { EngineContext, LoadEngine } from '../engines/load-engine.js'
import { RunRecorder } from '../metrics/run-recorder.js'
import type { PlannedRun } from '../scenario/plan-runs.js'
import type { Workload } from '../workload/workload.js'

// The warm-up before each measured phase: the run's own requests (samples discarded), at least
// run.warmupS seconds, then on until per-second throughput and p95 stop improving (JIT,
// connection pools and caches warmed), at most run.warmupMaxS. A cold first repetition would
// otherwise widen every interval over repetitions, or pass for a real difference.

export interface WarmupOutcome {
  /** Seconds the warm-up lasted. */
  seconds: number
  /** False when it stopped at warmupMaxS while still improving. */
  settled: boolean
}

/** The longest the warm-up of `run` may last (s): what its workload must be planned for. */
export function longestWarmupS(run: PlannedRun): number {
  return Math.max(run.warmupS, run.warmupMaxS)
}

/**
 * Called by executeRun after seeding with the warm-up workload planned for longestWarmupS(run);
 * resolves when the warm-up is over (or the run was aborted).
 */
export async function warmUp(engine: LoadEngine, run: PlannedRun, workload: Workload, target: URL, ctx: Omit<EngineContext, 'sink' | 'onTick'>): Promise<WarmupOutcome> {
  const maxS = longestWarmupS(run)
  const started = Date.now()
  const recorder = new RunRecorder(started, { lateWindowS: 2 })
  const seconds: WarmupSample[] = []
  const enough = new AbortController()
  let settled = maxS === run.warmupS
  // Throughput follows the arrival rate in an open model: only latency tells warming there.
  const throughputRise = run.workload.load.model === 'closed' ? undefined : null
  await engine.run(workload, target, {
    ...ctx,
    sink: recorder,
    signal: AbortSignal.any([ctx.signal, enough.signal]),
    onTick: (t) => {
      const live = recorder.live()
      seconds.push({ rps: live.rps, p95: live.p95 })
      if (!settled && t.elapsedS >= run.warmupS && hasSettled(seconds, { throughputRise })) {
        settled = true
        enough.abort(new Error('warmed up'))
      }
    },
  })
  return { seconds: (Date.now() - started) / 1000, settled }
}
