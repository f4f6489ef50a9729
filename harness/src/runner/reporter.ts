import type { FaultEvent, RunResult, SuiteResult } from '../results/results-schema.js'
import type { PlannedRun, RunPlan } from '../scenario/plan-runs.js'

// What the runner tells the outside world as a suite goes: events, vitest style. The runner only
// emits them; the terminal view and every file (results.json, index.html, junit.xml, summary.md)
// are reporters that listen (harness/src/report/), chosen by the CLI. A reporter only observes:
// it never changes what is measured.

export type RunPhase = 'starting' | 'seeding' | 'warm-up' | 'measuring' | 'verifying' | 'stopping'

/** Once a second during the measured phase. */
export interface ProgressTick {
  run: PlannedRun
  elapsedS: number
  totalS: number
  /** Responses in the last second. */
  rps: number
  p95: number
  errors: number
  dropped: number
  offeredRate?: number
}

/** A hook may finish later: the runner waits for it where waiting cannot disturb a measurement. */
export type Awaitable<T> = T | Promise<T>

/**
 * Optional hooks, each called in order for one reporter (a hook starts after the reporter's previous
 * hook finished). The runner waits for onPlan, onRunStart, onSkip, onRunEnd and onEnd before it goes
 * on; onPhase, onProgress and onFault come while a run is going and never hold up the load: they are
 * queued, and the queue is drained before the run's onRunEnd.
 */
export interface Reporter {
  /** Names the reporter in the message when one of its hooks fails ("html", "console", a module path). */
  readonly name?: string
  /** Before anything starts, with every planned run. */
  onPlan?(plan: RunPlan): Awaitable<void>
  /** When a run begins (index from 0). */
  onRunStart?(run: PlannedRun, index: number, total: number): Awaitable<void>
  /** When a run enters a phase. */
  onPhase?(run: PlannedRun, phase: RunPhase): Awaitable<void>
  /** About once a second while measuring. */
  onProgress?(tick: ProgressTick): Awaitable<void>
  /** When a scheduled fault was applied (or failed to apply). */
  onFault?(run: PlannedRun, event: FaultEvent): Awaitable<void>
  /**
   * When a run has finished (ok, failed or aborted), with the suite so far: its runs, no analysis
   * yet. A reporter that keeps a file up to date after each run (results.json) writes it here, so a
   * hard kill loses at most the run in progress.
   */
  onRunEnd?(result: RunResult, suite: SuiteResult): Awaitable<void>
  /** When a run of a stress ramp was skipped because the knee was passed. */
  onSkip?(run: PlannedRun, reason: string): Awaitable<void>
  /** At the very end, after analysis, gates and verdict: the finished suite. File reporters write here. */
  onEnd?(suite: SuiteResult): Awaitable<void>
}

export type ReporterHook = Exclude<keyof Reporter, 'name'>
type HookArgs<K extends ReporterHook> = Parameters<NonNullable<Reporter[K]>>

/** A hook that threw or rejected: which reporter, which hook, and why. */
export interface ReporterFailure {
  reporter: string
  hook: ReporterHook
  error: unknown
}

/**
 * The reporters of one suite and the order of their hooks. A failing hook never breaks a
 * measurement: it is handed to `onError` (the CLI prints it) and the reporter's later hooks still run.
 */
export class Reporters {
  private readonly queues: Array<Promise<void>>

  constructor(
    readonly list: readonly Reporter[] = [],
    private readonly onError: (failure: ReporterFailure) => void = () => undefined,
  ) {
    this.queues = list.map(() => Promise.resolve())
  }

  /** Queues `hook` on every reporter that has it; resolves when each has finished it. Never rejects. */
  emit<K extends ReporterHook>(hook: K, ...args: HookArgs<K>): Promise<void> {
    this.list.forEach((reporter, i) => {
      const fn = reporter[hook] as ((...a: HookArgs<K>) => Awaitable<void>) | undefined
      if (typeof fn !== 'function') return
      this.queues[i] = this.queues[i]!.then(async () => {
        try {
          await fn.apply(reporter, args)
        } catch (error) {
          this.onError({ reporter: reporter.name ?? reporter.constructor?.name ?? `reporter ${i + 1}`, hook, error })
        }
      })
    })
    return this.settled()
  }

  /** Resolves once every hook queued so far has finished. */
  async settled(): Promise<void> {
    await Promise.all(this.queues)
  }
}

/** Emits without waiting: for hooks during a run, which must not hold up the load. */
export function notify<K extends ReporterHook>(reporters: Reporters, hook: K, ...args: HookArgs<K>): void {
  void reporters.emit(hook, ...args)
}
