import { createLatencyHistogram, recordMs, type LatencyHistogram } from './latency-histogram.js'
import { addEncodedHistogram, encodeHistogram, type MetricsDelta } from './metrics-delta.js'
import { RunTotals } from './run-totals.js'
import type { MetricsSink, Sample } from './sample.js'

// A load agent's sink: records samples into histograms and counters and hands them out as a
// MetricsDelta every report interval, starting over each time. Memory stays flat (one
// histogram per operation plus one per second that had samples since the last report), and
// the per-sample cost is the same as the harness's own RunRecorder.

interface SecondTally {
  hist: LatencyHistogram
  reqs: number
  errors: number
  dropped: number
}

export class DeltaRecorder implements MetricsSink {
  private readonly totals = new RunTotals()
  private readonly seconds = new Map<number, SecondTally>()
  private readonly spare: LatencyHistogram[] = []
  private empty = true

  /** `startMs`: wall clock (ms since epoch) when the agent's measured phase began; second 0. */
  constructor(private readonly startMs: number) {}

  /** Called by the engine with finished (or dropped) samples. */
  add(batch: readonly Sample[]): void {
    for (const s of batch) {
      this.empty = false
      const second = this.second(Math.max(0, Math.floor((s.epochMs - this.startMs) / 1000)))
      if (s.dropped) {
        this.totals.dropped++
        second.dropped++
        continue
      }
      second.reqs++
      if (this.totals.record(s)) second.errors++
      recordMs(second.hist, s.latencyMs)
    }
  }

  /** Adds another recorder's delta (an engine that itself reports in deltas); seconds count from the same start. */
  merge(delta: MetricsDelta): void {
    this.empty = false
    this.totals.merge(delta)
    for (const d of delta.seconds) {
      const second = this.second(d.elapsedS)
      second.reqs += d.reqs
      second.errors += d.errors
      second.dropped += d.dropped
      addEncodedHistogram(second.hist, d.histogram)
    }
  }

  /** Called every report interval and once at the end: what was recorded since the last call, or null when nothing was. */
  take(): MetricsDelta | null {
    if (this.empty) return null
    this.empty = true
    const seconds: MetricsDelta['seconds'] = []
    for (const [elapsedS, s] of [...this.seconds].sort((a, b) => a[0] - b[0])) {
      seconds.push({ elapsedS, reqs: s.reqs, errors: s.errors, dropped: s.dropped, histogram: encodeHistogram(s.hist) })
      s.hist.reset()
      this.spare.push(s.hist)
    }
    this.seconds.clear()
    return { ...this.totals.takeDelta(), seconds }
  }

  private second(elapsedS: number): SecondTally {
    let s = this.seconds.get(elapsedS)
    if (!s) {
      s = { hist: this.spare.pop() ?? createLatencyHistogram(), reqs: 0, errors: 0, dropped: 0 }
      this.seconds.set(elapsedS, s)
    }
    return s
  }
}
