import { hasSettled, type WarmupSample } from '../analysis/warm-up.js'
import type { EngineContext, LoadEngine } from '../engines/load-engine.js'
import { createLatencyHistogram, percentileMs, recordMs } from '../metrics/latency-histogram.js'
import { addEncodedHistogram, type MetricsDelta } from '../metrics/metrics-delta.js'
import type { MetricsSink, Sample } from '../metrics/sample.js'
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

/** Requests answered between two engine ticks (about a second): their count and p95; from samples, or load agents' deltas. */
class TickWindow implements MetricsSink {
  private readonly latencies = createLatencyHistogram()
  private answered = 0

  add(batch: readonly Sample[]): void {
    for (const s of batch) {
      if (s.dropped || s.status === 0) continue
      this.answered++
      recordMs(this.latencies, s.latencyMs)
    }
  }

  merge(delta: MetricsDelta): void {
    // The delta's histogram also holds requests that got no answer (status 0): rare in a warm-up, and slow either way.
    this.answered += delta.passes + delta.fails - (delta.statusCounts['0'] ?? 0)
    addEncodedHistogram(this.latencies, delta.corrected)
  }

  /** Called at each tick: the window's figures, then an empty window. */
  take(): WarmupSample {
    const sample = { rps: this.answered, p95: this.latencies.totalCount > 0 ? percentileMs(this.latencies, 95) : Number.NaN }
    this.latencies.reset()
    this.answered = 0
    return sample
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
export async function warmUp(
  engine: LoadEngine,
  run: PlannedRun,
  workload: Workload,
  target: URL,
  ctx: Omit<EngineContext, 'sink' | 'onTick'>,
): Promise<WarmupOutcome> {
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
