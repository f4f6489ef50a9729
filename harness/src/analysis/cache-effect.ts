import { linearRegression } from 'simple-statistics'
import type { Interval, RunResult, SuiteAnalysis } from '../results/results-schema.js'
import { ANALYSIS_METRIC_DEFINITIONS } from './analysis-metrics.js'
import { cellMetricInterval, type GroupIntervalOptions } from './group-intervals.js'

// What a cache buys: hit rate per strategy (with its interval) and milliseconds of mean latency
// saved per percentage point of hit rate. Mean latency, not a percentile, because the mean of a
// mix of hits and misses is linear in the hit rate (h·hit + (1−h)·miss), so the slope is the
// quantity the question asks for; percentiles of a mixture are not linear in h.

export type CacheEffect = NonNullable<SuiteAnalysis['caches']>[number]

export interface CacheCell {
  cellLabel: string
  cell: Record<string, string | number>
  runs: readonly RunResult[]
}

function strategyOf(c: CacheCell): string {
  return typeof c.cell.cache === 'string' ? c.cell.cache : (c.runs[0]?.topology.cache.strategy ?? 'none')
}

function meanLatency(runs: readonly RunResult[]): number | null {
  const xs = runs.filter((r) => r.metrics.http_req_duration.count > 0).map((r) => r.metrics.http_req_duration.mean)
  return xs.length > 0 ? xs.reduce((s, v) => s + v, 0) / xs.length : null
}

function hitRate(c: CacheCell, opts: GroupIntervalOptions): Interval | null {
  if (strategyOf(c) === 'none' && !c.runs.some((r) => r.metrics.cache_hit_rate))
    return { estimate: 0, lo: 0, hi: 0, n: c.runs.length, method: 'no cache: hit rate 0 by construction' }
  return cellMetricInterval(ANALYSIS_METRIC_DEFINITIONS.cache_hit_rate, c.runs, opts)
}

/** The cell without its `cache` key: cells equal in everything else are compared with each other. */
function peerKey(c: CacheCell): string {
  return JSON.stringify(
    Object.entries(c.cell)
      .filter(([k]) => k !== 'cache')
      .sort(([a], [b]) => a.localeCompare(b)),
  )
}

/**
 * Cache effect per caching cell. The gain is measured against the `none` cell that matches in
 * every other matrix key; without one, from the slope of mean latency over hit rate across the
 * peer cells (needs two distinct hit rates); otherwise null.
 */
export function cacheEffects(cells: readonly CacheCell[], opts: GroupIntervalOptions = {}): CacheEffect[] {
  const relevant = cells.filter((c) => strategyOf(c) !== 'none' || c.runs.some((r) => r.metrics.cache_hit_rate))
  if (relevant.length === 0) return []
  const out: CacheEffect[] = []
  for (const c of relevant) {
    const h = hitRate(c, opts)
    if (!h) continue
    const peers = cells.filter((p) => peerKey(p) === peerKey(c))
    const none = peers.find((p) => strategyOf(p) === 'none')
    const lat = meanLatency(c.runs)
    let gain: number | null = null
    if (none && none !== c) {
      const base = meanLatency(none.runs)
      if (base !== null && lat !== null && h.estimate > 0) gain = (base - lat) / (h.estimate * 100)
    } else {
      const pts = peers
        .map((p) => ({ h: hitRate(p, opts)?.estimate, l: meanLatency(p.runs) }))
        .filter((p): p is { h: number; l: number } => typeof p.h === 'number' && p.l !== null)
      if (new Set(pts.map((p) => p.h.toFixed(4))).size >= 2) {
        const { m } = linearRegression(pts.map((p) => [p.h * 100, p.l]))
        if (Number.isFinite(m)) gain = -m
      }
    }
    out.push({ cellLabel: c.cellLabel, hitRate: h, latencyGainPerPointMs: gain })
  }
  return out
}
