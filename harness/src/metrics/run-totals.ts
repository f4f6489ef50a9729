import { createLatencyHistogram, recordMs, type LatencyHistogram } from './latency-histogram.js'
import { addEncodedHistogram, encodeHistogram, type MetricsDelta } from './metrics-delta.js'
import type { Sample } from './sample.js'
import type { CheckFailureExample } from '../results/results-schema.js'

/** Distinct (op, condition) failures kept with an example: enough for a report, bounded for a run with many ops. */
const MAX_CHECK_FAILURE_KINDS = 50

// The whole-run tallies (latency histograms, status counts, failures, drops, stale reads, per
// operation) that both recorders keep: RunRecorder in the harness and DeltaRecorder in a load
// agent. One class, so a sample counts the same wherever it was recorded, and what an agent
// encodes is exactly what the harness adds back.
//
// Failure semantics follow k6: http_req_failed counts status 0 (no response) and every status
// >= 400. Dropped arrivals (open model, in-flight cap reached) are not requests: they count only
// in dropped_iterations, like k6.

export const isFailedStatus = (status: number): boolean => status === 0 || status >= 400

export interface OperationTally {
  hist: LatencyHistogram
  fails: number
}

export class RunTotals {
  readonly corrected = createLatencyHistogram()
  /** While every sample had latencyMs == serviceLatencyMs (closed model) it stays empty and stands for a copy of `corrected`: one record less per sample. */
  private readonly uncorrectedHist = createLatencyHistogram()
  private uncorrectedSame = true
  readonly perOp = new Map<string, OperationTally>()
  statusCounts: Record<string, number> = {}
  fails = 0
  passes = 0
  dropped = 0
  staleCount = 0
  staleChecked = 0
  checkPasses = 0
  checkFails = 0
  /** op + '\n' + condition -> count and first example. */
  checkFailures = new Map<string, CheckFailureExample>()

  /** Called for each answered or failed request (not for dropped arrivals); returns whether it failed. */
  record(s: Sample): boolean {
    const failed = isFailedStatus(s.status)
    // An integer key: an array-like element lookup, no number-to-string per request.
    this.statusCounts[s.status] = (this.statusCounts[s.status] ?? 0) + 1
    if (failed) this.fails++
    else this.passes++
    if (s.staleRead !== undefined) {
      this.staleChecked++
      if (s.staleRead) this.staleCount++
    }
    if (this.uncorrectedSame && s.latencyMs !== s.serviceLatencyMs) this.splitUncorrected()
    recordMs(this.corrected, s.latencyMs)
    if (!this.uncorrectedSame) recordMs(this.uncorrectedHist, s.serviceLatencyMs)
    const op = this.operation(s.op)
    recordMs(op.hist, s.latencyMs)
    if (failed) op.fails++
    if (s.checksPassed !== undefined) this.checkPasses += s.checksPassed
    if (s.checksFailed !== undefined) this.checkFails += s.checksFailed
    if (s.checkFailures) for (const f of s.checkFailures) this.noteCheckFailure({ ...f, count: 1 })
    return failed
  }

  private noteCheckFailure(f: CheckFailureExample): void {
    const key = `${f.op}\n${f.check}`
    const seen = this.checkFailures.get(key)
    if (seen) seen.count += f.count
    else if (this.checkFailures.size < MAX_CHECK_FAILURE_KINDS) this.checkFailures.set(key, { ...f })
  }

  /** The uncorrected histogram (a copy of the corrected one while they never differed). */
  uncorrected(): LatencyHistogram {
    this.splitUncorrected()
    return this.uncorrectedHist
  }

  /** Everything but the per-second series, encoded; then starts over from zero (an agent's report). */
  takeDelta(): Omit<MetricsDelta, 'seconds'> {
    const perOperation: MetricsDelta['perOperation'] = {}
    for (const [op, t] of this.perOp) {
      perOperation[op] = { histogram: encodeHistogram(t.hist), fails: t.fails }
      t.hist.reset()
      t.fails = 0
    }
    const delta = {
      dropped: this.dropped,
      fails: this.fails,
      passes: this.passes,
      statusCounts: this.statusCounts,
      staleReads: { count: this.staleCount, checked: this.staleChecked },
      corrected: encodeHistogram(this.corrected),
      uncorrected: this.uncorrectedSame ? null : encodeHistogram(this.uncorrectedHist),
      perOperation,
      ...(this.checkPasses + this.checkFails > 0 ? { checks: { passes: this.checkPasses, fails: this.checkFails } } : {}),
      ...(this.checkFailures.size > 0 ? { checkFailures: [...this.checkFailures.values()] } : {}),
    }
    this.checkPasses = this.checkFails = 0
    this.checkFailures = new Map()
    this.corrected.reset()
    this.uncorrectedHist.reset()
    this.uncorrectedSame = true
    this.statusCounts = {}
    this.fails = this.passes = this.dropped = this.staleCount = this.staleChecked = 0
    return delta
  }

  /** Adds an agent's delta (everything but its per-second series). */
  merge(d: Omit<MetricsDelta, 'seconds'>): void {
    this.dropped += d.dropped
    this.fails += d.fails
    this.passes += d.passes
    for (const [status, n] of Object.entries(d.statusCounts)) this.statusCounts[status] = (this.statusCounts[status] ?? 0) + n
    this.staleCount += d.staleReads.count
    this.staleChecked += d.staleReads.checked
    if (d.uncorrected !== null) {
      this.splitUncorrected()
      addEncodedHistogram(this.uncorrectedHist, d.uncorrected)
    } else if (!this.uncorrectedSame) {
      // The delta's uncorrected latencies equal its corrected ones.
      addEncodedHistogram(this.uncorrectedHist, d.corrected)
    }
    addEncodedHistogram(this.corrected, d.corrected)
    if (d.checks) {
      this.checkPasses += d.checks.passes
      this.checkFails += d.checks.fails
    }
    for (const f of d.checkFailures ?? []) this.noteCheckFailure(f)
    for (const [op, t] of Object.entries(d.perOperation) as Array<[string, { histogram: string | null; fails: number }]>) {
      const into = this.operation(op)
      addEncodedHistogram(into.hist, t.histogram)
      into.fails += t.fails
    }
  }

  private operation(name: string): OperationTally {
    let op = this.perOp.get(name)
    if (!op) {
      op = { hist: createLatencyHistogram(), fails: 0 }
      this.perOp.set(name, op)
    }
    return op
  }

  /** From now on the uncorrected histogram is kept on its own, starting from a copy of what was recorded so far. */
  private splitUncorrected(): void {
    if (!this.uncorrectedSame) return
    this.uncorrectedSame = false
    this.uncorrectedHist.add(this.corrected)
  }
}
