import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { RESULTS_SCHEMA_VERSION, type SuiteResult } from './results-schema.js'

// Reading a results.json that came from elsewhere (an old run, another machine, a CI artifact):
// validated once here, at the boundary, for the schema version and every field that analysis
// and gates read. Fields the gates never read pass through unchecked (loose objects), so a newer
// writer adding fields does not break an older reader. Files of an older schema version that
// this reader knows how to bring forward (baselines and history folders users keep) are migrated
// here, before validation, so nothing after this boundary ever sees an old shape.

export class ResultsFileError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'ResultsFileError'
  }
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number')
const latency = z.looseObject({ count: finite, min: finite, mean: finite, p50: finite, p90: finite, p95: finite, p99: finite, p999: finite, max: finite })
const timePoint = z.looseObject({
  elapsedS: finite,
  reqs: finite,
  errors: finite,
  p50: finite,
  p95: finite,
  p99: finite,
  offeredRate: finite.optional(),
  cacheHitRate: finite.optional(),
})
const run = z.looseObject({
  id: z.string(),
  cell: z.record(z.string(), z.union([z.string(), z.number()])),
  cellLabel: z.string(),
  repetition: finite,
  status: z.enum(['ok', 'failed', 'aborted']),
  durationS: finite,
  load: z.looseObject({ model: z.enum(['closed', 'open']) }),
  engine: z.string(),
  topology: z.looseObject({ replicas: finite, shards: finite, partition: z.string(), cache: z.looseObject({ strategy: z.string() }) }),
  metrics: z.looseObject({
    http_reqs: z.looseObject({ count: finite, rate: finite }),
    http_req_duration: latency,
    http_req_duration_uncorrected: latency,
    http_req_failed: z.looseObject({ rate: finite }),
    status_counts: z.record(z.string(), finite),
    dropped_iterations: z.looseObject({ count: finite, rate: finite }),
    availability: z.looseObject({ rate: finite }),
    cache_hit_rate: z.looseObject({ rate: finite }).optional(),
    stale_reads: z.looseObject({ count: finite }),
    lost_writes: z
      .looseObject({ count: finite, checked: finite.optional(), unverified: finite.optional(), unverifiedExplainedBy: z.array(z.string()).optional() })
      .optional(),
    sync_lag: latency.optional(),
    sync_missing: z.looseObject({ count: finite }).optional(),
    sync_duplicates: z.looseObject({ count: finite }).optional(),
  }),
  perOperation: z.record(
    z.string(),
    z.looseObject({ http_reqs: z.looseObject({ count: finite, rate: finite }), http_req_duration: latency, http_req_failed: z.looseObject({ rate: finite }) }),
  ),
  timeSeries: z.array(timePoint),
  histogram: z.string(),
  percentiles: z.array(z.tuple([finite, finite])),
  sut: z.looseObject({ backends: z.record(z.string(), finite), shards: z.record(z.string(), finite), keysMovedIfShardAdded: finite.optional() }),
  validity: z.array(z.looseObject({ level: z.string(), message: z.string() })),
  generator: z.looseObject({ cpu: finite, eventLoopLagP99Ms: finite }),
})
const suiteSchema = z.looseObject({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  scenario: z.looseObject({
    name: z.string(),
    kind: z.string(),
    slo: z.looseObject({ latency: z.looseObject({ stat: z.enum(['p50', 'p90', 'p95', 'p99']), belowMs: finite }), maxErrorRate: finite }).nullable(),
    thresholds: z.record(z.string(), z.array(z.union([z.string(), z.looseObject({ threshold: z.string() })]))),
  }),
  runs: z.array(run),
})

/** Validates parsed JSON as a SuiteResult; `label` (usually the file name) starts every message. */
export function parseSuiteResult(value: unknown, label: string): SuiteResult {
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion
  if (typeof value !== 'object' || value === null || !('runs' in value)) {
    throw new ResultsFileError(`${label}: not a LoadLab results.json (no "runs"); give the results.json that \`loadlab run\` wrote`)
  }
  if (version === 1) value = migrateFromVersion1(value)
  else if (version !== RESULTS_SCHEMA_VERSION) {
    throw new ResultsFileError(
      `${label}: schemaVersion ${JSON.stringify(version)} is not ${RESULTS_SCHEMA_VERSION} (this LoadLab reads versions 1 and ${RESULTS_SCHEMA_VERSION}); re-run the scenario with this LoadLab version or use the matching version to compare`,
    )
  }
  const r = suiteSchema.safeParse(value)
  if (!r.success) {
    const issue = r.error.issues[0]!
    const where = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '')
    throw new ResultsFileError(
      `${label}: ${where || 'file'}: ${issue.message}${r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problems)` : ''}; the file is not a complete results.json`,
    )
  }
  return value as SuiteResult
}

/**
 * Version 1 named the seconds since the measured phase began `t` (per-second points, faults and
 * sync lag); version 2 calls them `elapsedS`, since `t` elsewhere meant epoch milliseconds.
 * Returns a migrated copy; the caller's object is left as it was.
 */
function migrateFromVersion1(suite: object): object {
  const runs = (suite as { runs: unknown }).runs
  return {
    ...suite,
    schemaVersion: 2,
    runs: Array.isArray(runs)
      ? runs.map((run: unknown) => {
          if (typeof run !== 'object' || run === null) return run
          const r = run as { timeSeries?: unknown; faults?: unknown; sync?: unknown }
          const sync = r.sync as { lag?: unknown } | null | undefined
          return {
            ...r,
            ...(r.timeSeries !== undefined ? { timeSeries: renameSecondsField(r.timeSeries) } : {}),
            ...(r.faults !== undefined ? { faults: renameSecondsField(r.faults) } : {}),
            ...(typeof sync === 'object' && sync !== null && sync.lag !== undefined ? { sync: { ...sync, lag: renameSecondsField(sync.lag) } } : {}),
          }
        })
      : runs,
  }
}

/** `t` -> `elapsedS` in each object of a version-1 array; anything else is left for validation to judge. */
function renameSecondsField(list: unknown): unknown {
  if (!Array.isArray(list)) return list
  return list.map((item: unknown) => {
    if (typeof item !== 'object' || item === null || !('t' in item) || 'elapsedS' in item) return item
    const { t, ...rest } = item as { t: unknown }
    return { ...rest, elapsedS: t }
  })
}

/** Reads and validates a results.json (the compare command, capacity commands, `--baseline`). */
export function loadResultsFile(file: string): SuiteResult {
  return parseSuiteResult(readJsonFile(file), file)
}

/** Reads a JSON file; unreadable or invalid JSON becomes a ResultsFileError naming the file. */
export function readJsonFile(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ResultsFileError(`${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}); check the path`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new ResultsFileError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
}
