import { build, type Histogram } from 'hdr-histogram-js'
import type { LatencySummary } from '../results/results-schema.js'

// Latencies are recorded in microseconds (1 µs .. 60 s, 3 significant digits) and reported in
// milliseconds. Pure-JS histograms: the WebAssembly build needs async init and explicit destroy().

export const HIGHEST_TRACKABLE_US = 60_000_000

export function createLatencyHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    autoResize: false,
    useWebAssembly: false,
  })
}

/** Records a latency given in ms; values outside 1 µs..60 s are clamped (a 70 s stall reads as 60 s). */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000)
  h.recordValue(us < 1 ? 1 : Math.min(us, HIGHEST_TRACKABLE_US))
}

/** Percentile (0..100) in ms; 0 for an empty histogram. */
export function percentileMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000
}

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, stdev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 }
  return {
    count: h.totalCount,
    min: h.minNonZeroValue / 1000,
    mean: h.mean / 1000,
    stdev: h.stdDeviation / 1000,
    p50: percentileMs(h, 50),
    p90: percentileMs(h, 90),
    p95: percentileMs(h, 95),
    p99: percentileMs(h, 99),
    p999: percentileMs(h, 99.9),
    max: h.maxValue / 1000,
  }
}

/** The headline percentiles plus log-spaced points (100·(1-10^(-k/10))) for a smooth log-scale chart, up to 99.99. */
export function percentileDistribution(h: Histogram): Array<[number, number]> {
  const ps = new Set<number>([50, 75, 90, 95, 99, 99.9, 99.99])
  for (let k = 0; k <= 40; k++) ps.add(Number((100 * (1 - Math.pow(10, -k / 10))).toFixed(4)))
  return [...ps].sort((a, b) => a - b).map((p) => [p, percentileMs(h, p)])
}
