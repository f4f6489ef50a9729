import { encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js'
import type { OperationMetrics, RunResult, TimePoint } from '../results/results-schema.js'
import type { OperationName } from '../workload/workload.js'
import type { Sample, SampleSink } from './sample.js'
import { createLatencyHistogram, percentileDistribution, percentileMs, recordMs, summarize } from './latency-histogram.js'

// Turns the engine's sample stream into the run's metrics with flat memory: HDR histograms and
// counters only, never raw samples.
//
// Failure semantics follow k6: http_req_failed counts status 0 (no response) and every status
// >= 400. The workload only addresses ids that exist and sends valid bodies, so a 404/409/4xx is
// a real failure of the system (or of the test), not an "expected" answer. availability =
// 1 - http_req_failed.rate. Dropped iterations (open model, in-flight cap reached) are not
// requests: they count only in dropped_iterations, like k6.
//
// Per-second series are bucketed by each sample's start time (the intended start for the open
// model), so a stall shows in the second it hit. A second stays open for late completions for
// `lateWindowS`, then its histogram is summarized and recycled.

interface OpStats { hist: Histogram; fails: number }
interface SecondBucket { hist: Histogram; reqs: number; errors: number; dropped: number }

export interface RunRecorderOptions {
  /** Seconds a per-second bucket waits for late completions before it is summarized (>= request timeout). Default 65. */
  lateWindowS?: number
}

export interface LiveStats {
  elapsedS: number
  /** Responses completed in the last full wall-clock second. */
  rps: number
  /** p95 (ms) of the requests that started in the last whole second of the run. */
  p95: number
  /** Requests answered or failed so far (dropped arrivals excluded): the base of the live error rate. */
  requests: number
  /** Failed requests so far (status 0 or >= 400). */
  errors: number
  dropped: number
}

export const isFailedStatus = (status: number): boolean => status === 0 || status >= 400

export class RunRecorder implements SampleSink {
  private readonly corrected = createLatencyHistogram()
  private readonly uncorrected = createLatencyHistogram()
  /** While every sample had latencyMs == serviceLatencyMs (closed model), `uncorrected` is a copy made at the end: one record less per sample. */
  private uncorrectedSameSoFar = true
  private readonly perOp = new Map<OperationName, OpStats>()
  private readonly statusCounts: Record<string, number> = {}
  private fails = 0
  private passes = 0
  private dropped = 0
  private staleCount = 0
  private staleChecked = 0
  private readonly open = new Map<number, SecondBucket>()
  private readonly closed = new Map<number, TimePoint>()
  private readonly spare: Histogram[] = []
  private readonly offered = new Map<number, number>()
  private readonly lateWindowS: number
  private lastSweepMs = 0
  // live(): completions per wall-clock second; p95 of the last whole second (by start time)
  private liveSecond = 0
  private liveCount = 0
  private lastSecondRps = 0
  private lastSecondP95 = 0
  private finished = false

  /** `startMs`: wall clock (ms since epoch) when the measured phase began; second 0 of the series. */
  constructor(private readonly startMs: number, opts: RunRecorderOptions = {}) {
    this.lateWindowS = Math.max(2, opts.lateWindowS ?? 65)
  }

  /** Called by engines with finished (or dropped) samples. Never throws, never blocks. */
  add(batch: readonly Sample[]): void {
    if (this.finished) return
    const now = Date.now()
    this.rollLive(now)
    for (const s of batch) {
      const sec = Math.max(0, Math.floor((s.t - this.startMs) / 1000))
      const bucket = this.bucket(sec)
      if (s.dropped) {
        this.dropped++
        if (bucket) bucket.dropped++
        else this.closedPoint(sec).dropped++
        continue
      }
      const failed = isFailedStatus(s.status)
      const key = String(s.status)
      this.statusCounts[key] = (this.statusCounts[key] ?? 0) + 1
      if (failed) this.fails++
      else this.passes++
      if (s.staleRead !== undefined) {
        this.staleChecked++
        if (s.staleRead) this.staleCount++
      }
      if (this.uncorrectedSameSoFar && s.latencyMs !== s.serviceLatencyMs) {
        this.uncorrectedSameSoFar = false
        this.uncorrected.add(this.corrected)
      }
      recordMs(this.corrected, s.latencyMs)
      if (!this.uncorrectedSameSoFar) recordMs(this.uncorrected, s.serviceLatencyMs)
      let op = this.perOp.get(s.op)
      if (!op) {
        op = { hist: createLatencyHistogram(), fails: 0 }
        this.perOp.set(s.op, op)
      }
      recordMs(op.hist, s.latencyMs)
      if (failed) op.fails++
      if (bucket) {
        bucket.reqs++
        if (failed) bucket.errors++
        recordMs(bucket.hist, s.latencyMs)
      } else {
        // Later than the late window: counts still land, percentiles of that second stay as they were.
        const p = this.closedPoint(sec)
        p.reqs++
        if (failed) p.errors++
        p.max = Math.max(p.max, s.latencyMs)
      }
      this.liveCount++
    }
    if (now - this.lastSweepMs >= 500) {
      this.lastSweepMs = now
      this.sweep(Math.floor((now - this.startMs) / 1000) - this.lateWindowS)
    }
  }

  /**
   * Called by the runner from the engine's onTick with EngineTick.elapsedS and .offeredRate: the
   * rate the open engine aimed for in the second that ENDED at `endS` (endS = 1 -> second 0).
   */
  noteOfferedRate(endS: number, rate: number): void {
    this.offered.set(Math.max(0, Math.ceil(endS - 1e-6) - 1), rate)
  }

  /** Called about once a second for the progress line. */
  live(): LiveStats {
    const now = Date.now()
    this.rollLive(now)
    return {
      elapsedS: (now - this.startMs) / 1000,
      rps: this.lastSecondRps,
      p95: this.lastSecondP95,
      requests: this.passes + this.fails,
      errors: this.fails,
      dropped: this.dropped,
    }
  }

  /**
   * Called once after the engine stopped. `durationS`: the measured phase's length;
   * `perSecondCacheHitRate[i]`: the SUT's hit rate in second i (from SutScraper), if any.
   * metrics.cache_hit_rate and metrics.lost_writes are left for the runner to fill.
   */
  finish(durationS: number, perSecondCacheHitRate?: number[]): Pick<RunResult, 'metrics' | 'perOperation' | 'timeSeries' | 'histogram' | 'percentiles'> {
    this.finished = true
    this.sweep(Number.POSITIVE_INFINITY)
    if (this.uncorrectedSameSoFar) {
      this.uncorrectedSameSoFar = false
      this.uncorrected.add(this.corrected)
    }
    const d = durationS > 0 ? durationS : 1
    const count = this.corrected.totalCount
    const failRate = count === 0 ? 0 : this.fails / count
    // The series has one point per whole second of the run. The engine's clock starts a few ms
    // after the recorder's and runs end on fractions of a second: samples of a trailing partial
    // second are folded into the last point instead of drawing a misleading near-empty second.
    const lastSec = Math.max(0, Math.round(durationS) - 1)
    for (const [sec, extra] of [...this.closed]) {
      if (sec <= lastSec) continue
      const into = this.closedPoint(lastSec)
      into.reqs += extra.reqs
      into.errors += extra.errors
      into.dropped += extra.dropped
      into.max = Math.max(into.max, extra.max)
      this.closed.delete(sec)
    }
    const timeSeries: TimePoint[] = []
    for (let t = 0; t <= lastSec; t++) {
      const p = this.closed.get(t) ?? emptyPoint(t)
      const offered = this.offered.get(t)
      if (offered !== undefined) p.offeredRate = offered
      const hit = perSecondCacheHitRate?.[t]
      if (hit !== undefined && Number.isFinite(hit)) p.cacheHitRate = hit
      timeSeries.push(p)
    }
    const perOperation: Partial<Record<OperationName, OperationMetrics>> = {}
    for (const [op, s] of this.perOp) {
      const n = s.hist.totalCount
      perOperation[op] = {
        http_reqs: { count: n, rate: n / d },
        http_req_duration: summarize(s.hist),
        http_req_failed: { rate: n === 0 ? 0 : s.fails / n, fails: s.fails, passes: n - s.fails },
      }
    }
    return {
      metrics: {
        http_reqs: { count, rate: count / d },
        http_req_duration: summarize(this.corrected),
        http_req_duration_uncorrected: summarize(this.uncorrected),
        http_req_failed: { rate: failRate, fails: this.fails, passes: this.passes },
        status_counts: { ...this.statusCounts },
        dropped_iterations: { count: this.dropped, rate: this.dropped / d },
        availability: { rate: count === 0 ? 0 : 1 - failRate },
        stale_reads: { count: this.staleCount, checked: this.staleChecked },
      },
      perOperation,
      timeSeries,
      histogram: encodeIntoCompressedBase64(this.corrected),
      percentiles: percentileDistribution(this.corrected),
    }
  }

  private bucket(sec: number): SecondBucket | undefined {
    if (this.closed.has(sec)) return undefined
    let b = this.open.get(sec)
    if (!b) {
      const hist = this.spare.pop() ?? createLatencyHistogram()
      b = { hist, reqs: 0, errors: 0, dropped: 0 }
      this.open.set(sec, b)
    }
    return b
  }

  private closedPoint(sec: number): TimePoint {
    let p = this.closed.get(sec)
    if (!p) {
      p = emptyPoint(sec)
      this.closed.set(sec, p)
    }
    return p
  }

  /** Summarizes and recycles every open second < `before`. */
  private sweep(before: number): void {
    for (const [sec, b] of this.open) {
      if (sec >= before) continue
      this.closed.set(sec, {
        t: sec,
        reqs: b.reqs,
        errors: b.errors,
        dropped: b.dropped,
        p50: percentileMs(b.hist, 50),
        p95: percentileMs(b.hist, 95),
        p99: percentileMs(b.hist, 99),
        max: b.hist.totalCount === 0 ? 0 : b.hist.maxValue / 1000,
      })
      b.hist.reset()
      this.spare.push(b.hist)
      this.open.delete(sec)
    }
  }

  private rollLive(now: number): void {
    const sec = Math.floor((now - this.startMs) / 1000)
    if (sec === this.liveSecond) return
    // A gap of more than one second means nothing completed in the last full second.
    const contiguous = sec === this.liveSecond + 1
    this.lastSecondRps = contiguous ? this.liveCount : 0
    // Its requests are mostly complete by now; reading the open bucket costs no extra recording per sample.
    const bucket = this.open.get(sec - 1)
    this.lastSecondP95 = bucket ? percentileMs(bucket.hist, 95) : (this.closed.get(sec - 1)?.p95 ?? 0)
    this.liveCount = 0
    this.liveSecond = sec
  }
}

function emptyPoint(t: number): TimePoint {
  return { t, reqs: 0, errors: 0, dropped: 0, p50: 0, p95: 0, p99: 0, max: 0 }
}
