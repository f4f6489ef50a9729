import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { LatencySummary, RunResult, SuiteResult } from '../results/results-schema.js'
import { parseMetricKey } from '../gates/threshold-expression.js'
import { createLatencyHistogram } from '../metrics/latency-histogram.js'
import { addEncodedHistogram } from '../metrics/metrics-delta.js'

// `loadlab run --summary-export FILE`: k6's summary-export JSON (the `--summary-export` format,
// not handleSummary's), so dashboards and scripts written for k6 output read LoadLab's.
//
// - Same metric names and value keys: a trend has avg, min, med, max, p(90), p(95); a counter
//   count and rate; a rate metric passes, fails and value.
// - Rate metrics count as k6 does: `passes` are samples that were non-zero (true), `fails` the
//   zero ones. For http_req_failed a failed request is a non-zero sample, so `passes` counts
//   FAILED requests - k6 does exactly this, and readers of its files expect it.
// - The one known quirk, reproduced: a threshold's flag is true when the threshold FAILED and
//   false when it passed (k6 issue #1498; k6 kept it for compatibility and documents it). Scripts
//   that read k6's files test `=== true` for a failure; inverting it here would make them wave a
//   failed gate through.
// - Several runs (a matrix, repetitions) are combined into one summary: counts add, the overall
//   http_req_duration comes from the runs' merged histograms (exact); per-op submetrics take the
//   count-weighted mean for avg, the smallest min and largest max, and the worst run's med and
//   percentiles (per-op histograms are not kept). Submetrics appear for the threshold keys
//   (as in k6), for `op` tags, and with their threshold flags.
// - root_group has no groups and no per-check entries (the totals are the `checks` metric).

type Trend = { avg: number; min: number; med: number; max: number; 'p(90)': number; 'p(95)': number }
type ExportedMetric = Record<string, number | Record<string, boolean>>

const ROOT_GROUP_ID = createHash('md5').update('').digest('hex')

function trendOf(s: LatencySummary): Trend {
  return { avg: s.mean, min: s.min, med: s.p50, max: s.max, 'p(90)': s.p90, 'p(95)': s.p95 }
}

function mergedDuration(runs: readonly RunResult[]): Trend | null {
  const merged = createLatencyHistogram()
  let any = false
  for (const r of runs) {
    if (!r.histogram) continue
    try {
      addEncodedHistogram(merged, r.histogram)
      any = true
    } catch {
      // a run without a readable histogram contributes nothing here
    }
  }
  if (!any || merged.totalCount === 0) {
    if (runs.length === 1) return trendOf(runs[0]!.metrics.http_req_duration)
    return null
  }
  // Histograms hold microseconds.
  return {
    avg: merged.mean / 1000,
    min: merged.minNonZeroValue / 1000,
    med: merged.getValueAtPercentile(50) / 1000,
    max: merged.maxValue / 1000,
    'p(90)': merged.getValueAtPercentile(90) / 1000,
    'p(95)': merged.getValueAtPercentile(95) / 1000,
  }
}

function combinedTrend(parts: LatencySummary[]): Trend | null {
  const measured = parts.filter((p) => p.count > 0)
  if (measured.length === 0) return null
  if (measured.length === 1) return trendOf(measured[0]!)
  const n = measured.reduce((s, p) => s + p.count, 0)
  return {
    avg: measured.reduce((s, p) => s + p.mean * p.count, 0) / n,
    min: Math.min(...measured.map((p) => p.min)),
    med: Math.max(...measured.map((p) => p.p50)),
    max: Math.max(...measured.map((p) => p.max)),
    'p(90)': Math.max(...measured.map((p) => p.p90)),
    'p(95)': Math.max(...measured.map((p) => p.p95)),
  }
}

/** The k6 summary-export object for a finished suite. */
export function k6SummaryExport(suite: SuiteResult): { root_group: unknown; metrics: Record<string, ExportedMetric> } {
  const runs = suite.runs.filter((r) => r.metrics.http_reqs.count > 0 || r.metrics.dropped_iterations.count > 0)
  const all = runs.length > 0 ? runs : suite.runs
  const durationS = all.reduce((s, r) => s + r.durationS, 0)
  const perSecond = (n: number): number => (durationS > 0 ? n / durationS : 0)
  const sum = (f: (r: RunResult) => number): number => all.reduce((s, r) => s + f(r), 0)
  const metrics: Record<string, ExportedMetric> = {}

  const reqs = sum((r) => r.metrics.http_reqs.count)
  metrics.http_reqs = { count: reqs, rate: perSecond(reqs) }
  const duration = mergedDuration(all)
  if (duration) metrics.http_req_duration = { ...duration }
  const uncorrected = combinedTrend(all.map((r) => r.metrics.http_req_duration_uncorrected))
  if (uncorrected) metrics.http_req_duration_uncorrected = { ...uncorrected }
  const failed = sum((r) => r.metrics.http_req_failed.fails)
  const ok = sum((r) => r.metrics.http_req_failed.passes)
  metrics.http_req_failed = { passes: failed, fails: ok, value: failed + ok > 0 ? failed / (failed + ok) : 0 }
  const dropped = sum((r) => r.metrics.dropped_iterations.count)
  metrics.dropped_iterations = { count: dropped, rate: perSecond(dropped) }
  const checked = all.filter((r) => r.metrics.checks)
  const checkPasses = checked.reduce((s, r) => s + r.metrics.checks!.passes, 0)
  const checkFails = checked.reduce((s, r) => s + r.metrics.checks!.fails, 0)
  if (checked.length > 0)
    metrics.checks = { passes: checkPasses, fails: checkFails, value: checkPasses + checkFails > 0 ? checkPasses / (checkPasses + checkFails) : 0 }

  // Per-op submetrics, named as k6 names a tagged submetric.
  const ops = new Set(all.flatMap((r) => Object.keys(r.perOperation)))
  for (const op of ops) {
    const per = all.map((r) => r.perOperation[op]).filter((p) => p !== undefined)
    const n = per.reduce((s, p) => s + p.http_reqs.count, 0)
    metrics[`http_reqs{op:${op}}`] = { count: n, rate: perSecond(n) }
    const t = combinedTrend(per.map((p) => p.http_req_duration))
    if (t) metrics[`http_req_duration{op:${op}}`] = { ...t }
    const f = per.reduce((s, p) => s + p.http_req_failed.fails, 0)
    const pass = per.reduce((s, p) => s + p.http_req_failed.passes, 0)
    metrics[`http_req_failed{op:${op}}`] = { passes: f, fails: pass, value: f + pass > 0 ? f / (f + pass) : 0 }
  }

  // Threshold flags: true = FAILED (k6's quirk, see above); a threshold fails if it failed in any run.
  for (const t of suite.gates?.thresholds ?? []) {
    let entry = metrics[t.metric]
    if (!entry) {
      // A key with run-selecting tags ({cache:lru}) or a metric not listed above: k6 lists it with its thresholds.
      const { name } = parseMetricKey(t.metric)
      entry = metrics[t.metric] = { ...(metrics[name] ?? {}) }
      delete entry.thresholds
    }
    const flags = (entry.thresholds as Record<string, boolean> | undefined) ?? {}
    flags[t.expression] = (flags[t.expression] ?? false) || !t.passed
    entry.thresholds = flags
  }

  // k6 lists each named check's passes and fails here; LoadLab keeps only the failures per check
  // (results.json check_failures), so the group stays empty rather than show made-up passes.
  return { root_group: { name: '', path: '', id: ROOT_GROUP_ID, groups: {}, checks: {} }, metrics }
}

/** Writes the export (creating its folder); throws with the path when it cannot. */
export function writeK6SummaryExport(suite: SuiteResult, file: string): string {
  const target = path.resolve(file)
  mkdirSync(path.dirname(target), { recursive: true })
  writeFileSync(target, `${JSON.stringify(k6SummaryExport(suite), null, 4)}\n`)
  return target
}
