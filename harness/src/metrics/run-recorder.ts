import { encodeIntoCompressedBase64 } from 'hdr-histogram-js'
import type { OperationMetrics, RunResult, TimePoint } from '../results/results-schema.js'
import type { MetricsSink, Sample } from './sample.js'
import {
  bucketTopMs,
  createLatencyHistogram,
  maxMs,
  percentileDistribution,
  percentileMs,
  recordMs,
  summarize,
  type LatencyHistogram,
} from './latency-histogram.js'
import { addEncodedHistogram, type MetricsDelta } from './metrics-delta.js'
import { RunTotals } from './run-totals.js'

// Turns what the engines measured into the run's metrics with flat memory: HDR histograms and
// counters only, never raw samples. It takes samples (an engine in this process) and deltas
// (load agents: already-recorded histograms and counters, added exactly).
//
// Failure semantics follow k6 (see RunTotals). The workload only addresses ids that exist and
// sends valid bodies, so a 404/409/4xx is a real failure of the system (or of the test), not an
// "expected" answer. availability = 1 - http_req_failed.rate.
//
// Per-second series are bucketed by each sample's start time (the intended start for the open
// model), so a stall shows in the second it hit; deltas carry the same buckets, counted from
// each agent's own start. A second stays open for late completions for `lateWindowS`, then its
// histogram is summarized and recycled.

interface SecondBucket {
  hist: LatencyHistogram
  reqs: number
  errors: number
  dropped: number
}

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

export { isFailedStatus } from './run-totals.js'

export class RunRecorder implements MetricsSink {
  private readonly totals = new RunTotals()
  private readonly open = new Map<number, SecondBucket>()
  private readonly closed = new Map<number, TimePoint>()
  private readonly spare: LatencyHistogram[] = []
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
  constructor(
    private readonly startMs: number,
    opts: RunRecorderOptions = {},
  ) {
    this.lateWindowS = Math.max(2, opts.lateWindowS ?? 65)
  }

  /** Called by engines with finished (or dropped) samples. Never throws, never blocks. */
  add(batch: readonly Sample[]): void {
    if (this.finished) return
    const now = Date.now()
    this.rollLive(now)
    for (const s of batch) {
      const sec = Math.max(0, Math.floor((s.epochMs - this.startMs) / 1000))
      const bucket = this.bucket(sec)
      if (s.dropped) {
        this.totals.dropped++
        if (bucket) bucket.dropped++
        else this.closedPoint(sec).dropped++
        continue
      }
      const failed = this.totals.record(s)
      if (bucket) {
        bucket.reqs++
        if (failed) bucket.errors++
        recordMs(bucket.hist, s.latencyMs)
      } else {
        // Later than the late window: counts still land, percentiles of that second stay as they were.
        const p = this.closedPoint(sec)
        p.reqs++
        if (failed) p.errors++
        p.max = Math.max(p.max, bucketTopMs(s.latencyMs))
      }
      this.liveCount++
    }
    this.sweepNow(now)
  }

  /**
   * Called by the agent coordinator with each agent's delta. Histograms add exactly; the
   * delta's seconds count from the agent's own start, which began with this recorder's second 0.
   */
  merge(delta: MetricsDelta): void {
    if (this.finished) return
    const now = Date.now()
    this.rollLive(now)
    this.totals.merge(delta)
    for (const d of delta.seconds) {
      const bucket = this.bucket(d.elapsedS)
      if (bucket) {
        bucket.reqs += d.reqs
        bucket.errors += d.errors
        bucket.dropped += d.dropped
        addEncodedHistogram(bucket.hist, d.histogram)
      } else {
        const p = this.closedPoint(d.elapsedS)
        p.reqs += d.reqs
        p.errors += d.errors
        p.dropped += d.dropped
        if (d.histogram !== null) {
          const late = createLatencyHistogram()
          addEncodedHistogram(late, d.histogram)
          p.max = Math.max(p.max, maxMs(late))
        }
      }
      this.liveCount += d.reqs
    }
    this.sweepNow(now)
  }

  /**
   * Called by the runner from the engine's onTick with EngineTick.elapsedS and .offeredRate: the
   * rate the native engine aimed for in the second that ENDED at `endS` (endS = 1 -> second 0).
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
      requests: this.totals.passes + this.totals.fails,
      errors: this.totals.fails,
      dropped: this.totals.dropped,
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
    const { totals } = this
    const d = durationS > 0 ? durationS : 1
    const count = totals.corrected.totalCount
    const failRate = count === 0 ? 0 : totals.fails / count
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
    const perOperation: Record<string, OperationMetrics> = {}
    for (const [op, s] of totals.perOp) {
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
        http_req_duration: summarize(totals.corrected),
        http_req_duration_uncorrected: summarize(totals.uncorrected()),
        http_req_failed: { rate: failRate, fails: totals.fails, passes: totals.passes },
        status_counts: { ...totals.statusCounts },
        dropped_iterations: { count: totals.dropped, rate: totals.dropped / d },
        availability: { rate: count === 0 ? 0 : 1 - failRate },
        stale_reads: { count: totals.staleCount, checked: totals.staleChecked },
        ...(totals.checkPasses + totals.checkFails > 0
          ? { checks: { rate: totals.checkPasses / (totals.checkPasses + totals.checkFails), passes: totals.checkPasses, fails: totals.checkFails } }
          : {}),
        ...(totals.checkFailures.size > 0 ? { check_failures: [...totals.checkFailures.values()].sort((a, b) => b.count - a.count) } : {}),
      },
      perOperation,
      timeSeries,
      histogram: encodeIntoCompressedBase64(totals.corrected),
      percentiles: percentileDistribution(totals.corrected),
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

  private sweepNow(now: number): void {
    if (now - this.lastSweepMs >= 500) {
      this.lastSweepMs = now
      this.sweep(Math.floor((now - this.startMs) / 1000) - this.lateWindowS)
    }
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
        elapsedS: sec,
        reqs: b.reqs,
        errors: b.errors,
        dropped: b.dropped,
        p50: percentileMs(b.hist, 50),
        p95: percentileMs(b.hist, 95),
        p99: percentileMs(b.hist, 99),
        max: maxMs(b.hist),
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

function emptyPoint(elapsedS: number): TimePoint {
  return { elapsedS, reqs: 0, errors: 0, dropped: 0, p50: 0, p95: 0, p99: 0, max: 0 }
}
