import { hasSettled, type WarmupSample } from '../analysis/warm-up.js'
import type { EngineContext, LoadEngine } from '../engines/load-engine.js'
import type { Sample, SampleSink } from '../metrics/sample.js'
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

/** Requests finished between two engine ticks (about a second): their count and p95. */
class TickWindow implements SampleSink {
  private latencies: number[] = []

  add(batch: readonly Sample[]): void {
    for (const s of batch) if (!s.dropped && s.status > 0) this.latencies.push(s.latencyMs)
  }

  /** Called at each tick: the window's figures, then an empty window. */
  take(): WarmupSample {
    const sorted = this.latencies.sort((a, b) => a - b)
    this.latencies = []
    return { rps: sorted.length, p95: sorted.length > 0 ? sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] : Number.NaN }
  }
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
  const window = new TickWindow()
  const seconds: WarmupSample[] = []
  const enough = new AbortController()
  let settled = maxS === run.warmupS
  // Throughput follows the arrival rate in an open model: only latency tells warming there.
  const throughputRise = run.workload.load.model === 'closed' ? undefined : null
  await engine.run(workload, target, {
    ...ctx,
    sink: window,
    signal: AbortSignal.any([ctx.signal, enough.signal]),
    onTick: (t) => {
      seconds.push(window.take())
      if (!settled && t.elapsedS >= run.warmupS && hasSettled(seconds, { throughputRise })) {
        settled = true
        enough.abort(new Error('warmed up'))
      }
    },
  })
  return { seconds: (Date.now() - started) / 1000, settled }
}
