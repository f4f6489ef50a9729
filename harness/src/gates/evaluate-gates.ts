import type { GateResult, SuiteResult } from '../results/results-schema.js'
import { compareToBaseline, type BaselineOptions } from './baseline.js'
import type { BaselineSource } from './baseline-source.js'
import { evaluateThresholds } from './evaluate-thresholds.js'

// All gates of a suite in one place, for the runner (`loadlab run --baseline`) and for
// re-evaluation of a stored results.json.

export interface GateOptions {
  /** A previous results.json, or a folder of them (a history), already loaded and validated. */
  baseline?: { source: SuiteResult | BaselineSource } & BaselineOptions
}

export function evaluateGates(suite: SuiteResult, opts: GateOptions = {}): GateResult {
  const thresholds = evaluateThresholds(suite)
  const baseline = opts.baseline ? compareToBaseline(suite, opts.baseline.source, opts.baseline) : undefined
  return {
    passed: thresholds.every((t) => t.passed) && (baseline?.passed ?? true),
    thresholds,
    ...(baseline ? { baseline } : {}),
  }
}
