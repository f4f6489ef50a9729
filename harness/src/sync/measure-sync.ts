import type { FaultEvent, RunMetrics, SyncRunResult } from '../results/results-schema.js'
import { SYNC_BROKER_NAMES, type Topology } from '../scenario/scenario.js'
import type { VersionTracker } from '../workload/version-tracker.js'
import { DownstreamReader } from './downstream-reader.js'
import { computeSyncFigures } from './sync-metrics.js'

// After the load: wait until downstream holds every version the CRM acknowledged (the drain),
// then count what is still missing, read when downstream applied each change and turn that into
// sync lag, backlog over time and recovery time. Whatever cannot be measured is said in `note`,
// never left as a silent zero.

const MISSING_SAMPLE = 20

export interface SyncMeasurement {
  metrics: Pick<RunMetrics, 'sync_lag' | 'sync_missing' | 'sync_duplicates'>
  result: SyncRunResult
}

export interface MeasureSyncInput {
  sync: Topology['sync']
  downstreamUrl: string | null
  versions: VersionTracker
  measuredStartMs: number
  durationS: number
  faults: readonly FaultEvent[]
  /** Downstream's duplicate count when the measured phase began (its counter covers seeding too). */
  duplicatesBefore: number
  signal: AbortSignal
}

export async function measureSync(input: MeasureSyncInput): Promise<SyncMeasurement> {
  const { sync } = input
  const expected = new Map(input.versions.entries())
  const base: Omit<SyncRunResult, 'lag' | 'backlog' | 'drainS' | 'recoveryS' | 'missingSample'> = {
    strategy: sync.strategy,
    ...(sync.strategy === 'queue-push' ? { broker: sync.broker } : {}),
  }
  if (input.downstreamUrl === null) {
    return {
      metrics: { sync_missing: { count: expected.size, checked: 0 } },
      result: { ...base, lag: [], backlog: [], drainS: null, recoveryS: null, missingSample: [], note: 'the topology has no downstream member to read back' },
    }
  }
  const reader = new DownstreamReader(input.downstreamUrl)
  try {
    const held = await reader.waitUntilHolds(expected, sync.drainTimeoutS * 1000, input.signal)
    const notes: string[] = []
    let applied: Awaited<ReturnType<DownstreamReader['applied']>> = []
    let duplicates: number | null = null
    try {
      applied = await reader.applied()
      duplicates = Math.max(0, (await reader.duplicates()) - input.duplicatesBefore)
    } catch (error) {
      notes.push(`downstream's applied changes could not be read (${error instanceof Error ? error.message : String(error)}): no lag figures`)
    }
    if (held.missing.length > 0) notes.push(explainMissing(held.missing.length, sync.drainTimeoutS, held.error, input.faults))
    const figures = computeSyncFigures(input.versions.acknowledgements(input.measuredStartMs), applied, input.measuredStartMs, input.durationS, input.faults)
    return {
      metrics: {
        sync_lag: figures.lag,
        sync_missing: { count: held.missing.length, checked: held.checked },
        ...(duplicates === null ? {} : { sync_duplicates: { count: duplicates } }),
      },
      result: {
        ...base,
        lag: figures.lagPerSecond,
        backlog: figures.backlog,
        drainS: held.tookS === null ? null : Math.round(held.tookS * 10) / 10,
        recoveryS: figures.recoveryS,
        missingSample: held.missing.slice(0, MISSING_SAMPLE),
        ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
      },
    }
  } finally {
    await reader.close()
  }
}

/** Downstream's duplicate count now (0 when it cannot be read: then duplicates are counted from its start). */
export async function downstreamDuplicates(url: string): Promise<number> {
  const reader = new DownstreamReader(url)
  try {
    return await reader.duplicates()
  } catch {
    return 0
  } finally {
    await reader.close()
  }
}

function explainMissing(count: number, drainTimeoutS: number, error: string | undefined, faults: readonly FaultEvent[]): string {
  const parts = [`${count} acknowledged version(s) were not downstream ${drainTimeoutS} s after the load ended`]
  if (error !== undefined) parts.push(`downstream could not be asked (${error})`)
  for (const member of ['downstream', ...SYNC_BROKER_NAMES]) {
    const events = faults.filter((f) => f.member === member && f.ok)
    const last = events[events.length - 1]
    if (last && (last.action === 'kill' || last.action === 'pause'))
      parts.push(`${member} was ${last.action === 'kill' ? 'killed' : 'paused'} at ${last.elapsedS} s and not brought back (add a restart or resume fault)`)
  }
  return parts.join(': ')
}
