import { build, type JsHistogram } from 'hdr-histogram-js'
import type { LatencySummary } from '../results/results-schema.js'

// Latencies are recorded in microseconds (1 µs .. 60 s, 3 significant digits) and reported in
// milliseconds. Pure-JS histograms: the WebAssembly build needs async init and explicit destroy().
// Every figure read from a histogram is a bucket's value, min and max included (HdrHistogram's
// own convention): a histogram rebuilt from its encoding, or merged from load agents' ones,
// then reads exactly like the one that recorded the samples.

export const HIGHEST_TRACKABLE_US = 60_000_000

export type LatencyHistogram = JsHistogram

export function createLatencyHistogram(): LatencyHistogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    autoResize: false,
    useWebAssembly: false,
  }) as JsHistogram
}

const toRecordedUs = (ms: number): number => {
  const us = Math.round(ms * 1000)
  return us < 1 ? 1 : Math.min(us, HIGHEST_TRACKABLE_US)
}

/** Records a latency given in ms; values outside 1 µs..60 s are clamped (a 70 s stall reads as 60 s). */
export function recordMs(h: LatencyHistogram, ms: number): void {
  h.recordValue(toRecordedUs(ms))
}

const bucketScale = createLatencyHistogram()

/** The value (ms) a histogram reports for a latency of `ms`: the top of its bucket. */
export function bucketTopMs(ms: number): number {
  return bucketScale.highestEquivalentValue(toRecordedUs(ms)) / 1000
}

/** Largest recorded latency in ms (the top of its bucket); 0 for an empty histogram. */
export function maxMs(h: LatencyHistogram): number {
  return h.totalCount === 0 ? 0 : h.highestEquivalentValue(h.maxValue) / 1000
}

/** Percentile (0..100) in ms; 0 for an empty histogram. */
export function percentileMs(h: LatencyHistogram, p: number): number {
  return h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000
}

export function summarize(h: LatencyHistogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, stdev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 }
  return {
    count: h.totalCount,
    min: h.lowestEquivalentValue(h.minNonZeroValue) / 1000,
    mean: h.mean / 1000,
    stdev: h.stdDeviation / 1000,
    p50: percentileMs(h, 50),
    p90: percentileMs(h, 90),
    p95: percentileMs(h, 95),
    p99: percentileMs(h, 99),
    p999: percentileMs(h, 99.9),
    max: maxMs(h),
  }
}

/** The headline percentiles plus log-spaced points (100·(1-10^(-k/10))) for a smooth log-scale chart, up to 99.99. */
export function percentileDistribution(h: LatencyHistogram): Array<[number, number]> {
  const ps = new Set<number>([50, 75, 90, 95, 99, 99.9, 99.99])
  for (let k = 0; k <= 40; k++) ps.add(Number((100 * (1 - Math.pow(10, -k / 10))).toFixed(4)))
  return [...ps].sort((a, b) => a - b).map((p) => [p, percentileMs(h, p)])
}
