import type { FaultEvent, RunResult, SuiteResult } from '../results/results-schema.js'
import type { PlannedRun, RunPlan } from '../scenario/plan-runs.js'

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

/**
 * Optional hooks the runner calls as a suite goes (vitest style). Reporters only observe: they
 * never change what is measured, and an exception in one is caught and ignored by the runner.
 */
export interface Reporter {
  /** Before anything starts, with every planned run. */
  onPlan?(plan: RunPlan): void
  /** When a run begins (index from 0). */
  onRunStart?(run: PlannedRun, index: number, total: number): void
  /** When a run enters a phase. */
  onPhase?(run: PlannedRun, phase: RunPhase): void
  /** About once a second while measuring. */
  onProgress?(tick: ProgressTick): void
  /** When a scheduled fault was applied (or failed to apply). */
  onFault?(run: PlannedRun, event: FaultEvent): void
  /** When a run has finished (ok, failed or aborted). */
  onRunEnd?(result: RunResult): void
  /** When a run of a stress ramp was skipped because the knee was passed. */
  onSkip?(run: PlannedRun, reason: string): void
  /** After analysis and gates, before reports are written. */
  onEnd?(suite: SuiteResult): void
}

/** Calls one hook on every reporter, swallowing reporter errors (a broken display must not break a measurement). */
export function notify<K extends keyof Reporter>(reporters: readonly Reporter[], hook: K, ...args: Parameters<NonNullable<Reporter[K]>>): void {
  for (const r of reporters) {
    try {
      ;(r[hook] as ((...a: unknown[]) => void) | undefined)?.(...args)
    } catch {
      // ignored on purpose
    }
  }
}
