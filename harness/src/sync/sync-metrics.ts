import { quantileSorted } from 'simple-statistics'
import type { LatencySummary, SyncRunResult } from '../results/results-schema.js'
import { SYNC_BROKER_NAMES } from '../scenario/scenario.js'
import type { Acknowledgement } from '../workload/version-tracker.js'

// Sync lag and backlog from two lists the run already has: when the CRM acknowledged each write
// (the harness's clock) and when downstream applied each change (downstream's clock; the same
// machine's, since both run locally). A write's version counts as "downstream has it" from the
// first change downstream applied with that version or a newer one: a newer version of a
// record carries the older one's content. Pure functions, so they are tested without processes.

/** One change downstream applied: customer id, version, when (ms since epoch). */
export type AppliedChange = [id: string, version: number, atMs: number]

export interface SyncFigures {
  lag: LatencySummary
  lagPerSecond: SyncRunResult['lag']
  backlog: number[]
  recoveryS: number | null
}

/** Fault events that take the sync path down and bring it back. */
export interface SyncFault {
  elapsedS: number
  member: string
  action: string
}

export function computeSyncFigures(
  acks: readonly Acknowledgement[],
  applied: readonly AppliedChange[],
  startMs: number,
  durationS: number,
  faults: readonly SyncFault[] = [],
): SyncFigures {
  const byId = new Map<string, Array<{ version: number; atMs: number }>>()
  for (const [id, version, atMs] of applied) {
    let list = byId.get(id)
    if (list === undefined) byId.set(id, (list = []))
    list.push({ version, atMs })
  }
  // Applied versions of one record only grow (downstream applies a change only when it is newer), so the first entry >= v is when v arrived.
  const heldAt = (id: string, version: number): number | null => byId.get(id)?.find((e) => e.version >= version)?.atMs ?? null

  const seconds = Math.max(0, Math.ceil(durationS))
  const lags: number[] = []
  const perSecond: number[][] = Array.from({ length: seconds }, () => [])
  // Backlog as a difference array: +1 when acknowledged, -1 when downstream got it.
  const delta = new Array<number>(seconds + 1).fill(0)
  for (const ack of acks) {
    const at = heldAt(ack.id, ack.version)
    const ackSecond = Math.floor((ack.atMs - startMs) / 1000)
    if (at !== null) {
      const lag = Math.max(0, at - ack.atMs)
      lags.push(lag)
      if (ackSecond >= 0 && ackSecond < seconds) perSecond[ackSecond]!.push(lag)
    }
    if (ackSecond >= seconds) continue
    const heldSecond = at === null ? seconds : Math.floor((Math.max(at, ack.atMs) - startMs) / 1000)
    // Counted at the end of each second from its acknowledgement until the one in which downstream had it.
    const from = Math.max(0, ackSecond)
    const to = Math.min(seconds, heldSecond)
    if (to > from) {
      delta[from]!++
      delta[to]!--
    }
  }
  const backlog: number[] = []
  let level = 0
  for (let s = 0; s < seconds; s++) backlog.push((level += delta[s]!))

  return {
    lag: summarizeMs(lags),
    lagPerSecond: perSecond.flatMap((values, elapsedS) => {
      if (values.length === 0) return []
      const s = summarizeMs(values)
      return [{ elapsedS, acks: values.length, p50: s.p50, p95: s.p95, max: s.max }]
    }),
    backlog,
    recoveryS: recoveryAfterFaults(backlog, faults),
  }
}

/** Failed requests per second of the measured phase, indexed by second. */
export function errorsPerSecond(points: ReadonlyArray<{ elapsedS: number; errors: number }>): number[] {
  const out: number[] = []
  for (const p of points) out[p.elapsedS] = p.errors
  return Array.from(out, (v) => v ?? 0)
}

/**
 * Seconds from the last fault on downstream or the broker until `series` (the backlog; for
 * sync-call the failed requests per second) is back at (or below)
 * its median level before the first such fault; null without such a fault or when it never got
 * back within the measured phase (the drain time then says how long it took).
 */
export function recoveryAfterFaults(backlog: readonly number[], faults: readonly SyncFault[]): number | null {
  const relevant = faults.filter((f) => f.member === 'downstream' || (SYNC_BROKER_NAMES as readonly string[]).includes(f.member))
  if (relevant.length === 0) return null
  const first = Math.floor(Math.min(...relevant.map((f) => f.elapsedS)))
  const last = Math.max(...relevant.map((f) => f.elapsedS))
  const before = backlog.slice(0, first).sort((a, b) => a - b)
  const normal = before.length > 0 ? before[Math.floor(before.length / 2)]! : 0
  for (let s = Math.ceil(last); s < backlog.length; s++) {
    if (backlog[s]! <= normal) return Math.round((s + 1 - last) * 10) / 10
  }
  return null
}

export function summarizeMs(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, min: 0, mean: 0, stdev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 }
  const sorted = [...values].sort((a, b) => a - b)
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length
  const variance = sorted.reduce((sum, v) => sum + (v - mean) ** 2, 0) / sorted.length
  const q = (p: number): number => quantileSorted(sorted, p)
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean,
    stdev: Math.sqrt(variance),
    p50: q(0.5),
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    p999: q(0.999),
    max: sorted[sorted.length - 1]!,
  }
}
