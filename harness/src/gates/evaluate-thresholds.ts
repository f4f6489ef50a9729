import * as hdr from 'hdr-histogram-js'
import type { LatencySummary, RunResult, SuiteResult, ThresholdOutcome } from '../results/results-schema.js'
import { OPERATIONS } from '../workload/workload.js'
import { httpOperationNames } from '../workload/http-workload.js'
import { compare, parseThresholds, statLabel, type ParsedThreshold, ThresholdSyntaxError } from './threshold-expression.js'
import { METRIC_NAMES, metricDefinition, type MetricReading } from '../results/metric-catalog.js'
import { DATA_TAGS, isKnownMetric } from './threshold-metrics.js'

// One outcome per threshold per run it applies to. Anything that cannot be measured is an
// error outcome (passed: false, value: null, a message that says what exists instead): a gate
// that silently passes on a typo is worse than no gate.

// `failure`: a value exists but the threshold fails whatever it compares to (writes that could
// not be verified make "no write was lost" unprovable).
type Resolved = { value: number; note?: string; failure?: string } | { error: string }

/** What a run selector reads of a run: a finished RunResult, or a planned run before it starts (check-threshold-targets.ts). */
export interface TaggableRun {
  id: string
  cellLabel: string
  cell: Record<string, string | number>
  engine: string
  topology: {
    cache: { strategy: string }
    partition: string
    balancer: { strategy: string } | null
    replicas: number
    shards: number
    sync?: { strategy: string }
  }
}

export const RUN_TOPOLOGY_TAGS: Record<string, (r: TaggableRun) => string | number | undefined> = {
  cache: (r) => r.topology.cache.strategy,
  partition: (r) => r.topology.partition,
  balancer: (r) => r.topology.balancer?.strategy,
  engine: (r) => r.engine,
  replicas: (r) => r.topology.replicas,
  shards: (r) => r.topology.shards,
  sync: (r) => r.topology.sync?.strategy ?? 'none',
}

const decoded = new WeakMap<RunResult, hdr.Histogram | null>()

function histogramOf(run: RunResult): hdr.Histogram | null {
  if (decoded.has(run)) return decoded.get(run) ?? null
  let h: hdr.Histogram | null = null
  if (run.histogram) {
    try {
      h = hdr.decodeFromCompressedBase64(run.histogram, 32, false)
      if (h.totalCount === 0) h = null
    } catch {
      h = null
    }
  }
  decoded.set(run, h)
  return h
}

const SUMMARY_PERCENTILES: Array<[number, keyof LatencySummary]> = [
  [50, 'p50'],
  [90, 'p90'],
  [95, 'p95'],
  [99, 'p99'],
  [99.9, 'p999'],
]

function trendValue(t: ParsedThreshold, summary: LatencySummary, run: RunResult, histogramAllowed: boolean): Resolved {
  if (summary.count === 0) return { error: 'no requests were measured, so there is no latency to compare' }
  switch (t.stat.kind) {
    case 'avg':
      return { value: summary.mean }
    case 'min':
      return { value: summary.min }
    case 'max':
      return { value: summary.max }
    case 'med':
      return { value: summary.p50 }
    case 'p': {
      const p = t.stat.percentile
      if (p === 0) return { value: summary.min }
      if (p === 100) return { value: summary.max }
      const field = SUMMARY_PERCENTILES.find(([q]) => q === p)
      if (field) return { value: summary[field[1]] as number }
      if (histogramAllowed) {
        const h = histogramOf(run)
        if (h) return { value: h.getValueAtPercentile(p) / 1000 }
        const pair = run.percentiles.find(([q]) => q === p)
        if (pair) return { value: pair[1] }
      }
      return {
        error: `p(${p}) is not recorded here; available: ${SUMMARY_PERCENTILES.map(([q]) => `p(${q})`).join(', ')}${histogramAllowed ? ' (the run has no histogram for other percentiles)' : ' (other percentiles exist only for the overall http_req_duration)'}`,
      }
    }
    default:
      return { error: `${statLabel(t.stat)} does not apply to a trend; use avg, min, med, max or p(N)` }
  }
}

function counterValue(t: ParsedThreshold, count: number, durationS: number, rate?: number): Resolved {
  if (t.stat.kind === 'count') return { value: count }
  if (t.stat.kind === 'rate') return { value: rate ?? (durationS > 0 ? count / durationS : 0) }
  return { error: `${statLabel(t.stat)} does not apply to a counter; use count or rate` }
}

function rateValue(t: ParsedThreshold, rate: number): Resolved {
  if (t.stat.kind === 'rate') return { value: rate }
  return { error: `${statLabel(t.stat)} does not apply to a rate metric; use rate` }
}

/** The measured value of `t` in `run` (the data tags op/status/backend/shard applied). */
export function resolveThresholdValue(t: ParsedThreshold, run: RunResult): Resolved {
  if (!isKnownMetric(t.name)) {
    return { error: `no such metric "${t.name}"; available: ${METRIC_NAMES.join(', ')}` }
  }
  const dataTags = Object.keys(t.tags).filter((k) => (DATA_TAGS as readonly string[]).includes(k))
  if (dataTags.length > 1) return { error: `combine at most one of ${DATA_TAGS.join(', ')} in one key (got ${dataTags.join(', ')})` }
  const m = run.metrics
  const tag = dataTags[0]
  if (tag === 'op') {
    // `tag` is one of t.tags' keys.
    const op = t.tags.op!
    // An HTTP scenario's op tags are its request and step names; a CRM run's are the operations.
    const known: readonly string[] = run.workload.http ? httpOperationNames(run.workload.http) : OPERATIONS
    if (!known.includes(op)) return { error: `unknown op "${op}"; ${run.workload.http ? 'requests and steps' : 'operations'}: ${known.join(', ')}` }
    const per = run.perOperation[op]
    if (!per) return { error: `the run sent no ${op} requests; operations measured: ${Object.keys(run.perOperation).join(', ') || 'none'}` }
    const readForOperation = metricDefinition(t.name).readForOperation
    if (!readForOperation) {
      const perOp = METRIC_NAMES.filter((n) => metricDefinition(n).readForOperation)
      return { error: `${t.name} has no per-operation values; {op:...} works with ${perOp.join(', ')}` }
    }
    return statOfReading(t, readForOperation(per), run, false)
  }
  if (tag === 'status' || tag === 'backend' || tag === 'shard') {
    if (t.name !== 'http_reqs') return { error: `{${tag}:...} works only with http_reqs` }
    const table = tag === 'status' ? m.status_counts : tag === 'backend' ? run.sut.backends : run.sut.shards
    const key = t.tags[tag]!
    if (tag !== 'status' && !(key in table)) return { error: `no ${tag} "${key}" in this run; ${tag}s: ${Object.keys(table).join(', ') || 'none recorded'}` }
    return counterValue(t, table[key] ?? 0, run.durationS)
  }
  const read = metricDefinition(t.name).read(run)
  if ('error' in read) return read
  const value = statOfReading(t, read, run, read.type === 'trend' && read.fromHistogram === true)
  if (!('value' in value)) return value
  return { ...value, ...(read.note === undefined ? {} : { note: read.note }), ...(read.failure === undefined ? {} : { failure: read.failure }) }
}

/** The stat `t` names, of a metric's reading in `run`. */
function statOfReading(t: ParsedThreshold, reading: MetricReading, run: RunResult, histogramAllowed: boolean): Resolved {
  switch (reading.type) {
    case 'trend':
      return trendValue(t, reading.summary, run, histogramAllowed)
    case 'counter':
      return counterValue(t, reading.count, run.durationS, reading.rate)
    case 'rate':
      return rateValue(t, reading.rate)
  }
}

/** The value of run-selector tag `key` for `run` (run, cell, a matrix key or a topology tag), undefined when the run has none. */
export function runTagValue(run: TaggableRun, key: string): string | undefined {
  if (key === 'run') return run.id
  if (key === 'cell') return run.cellLabel
  if (key in run.cell) return String(run.cell[key])
  const topo = RUN_TOPOLOGY_TAGS[key]
  const v = topo ? topo(run) : undefined
  return v === undefined ? undefined : String(v)
}

function formatValue(name: string, v: number): string {
  const rounded = Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3)
  return isKnownMetric(name) && metricDefinition(name).unit === 'ms' ? `${rounded} ms` : rounded
}

/** Evaluates parsed thresholds over the suite's runs. */
export function evaluateParsedThresholds(parsed: readonly ParsedThreshold[], runs: readonly RunResult[]): ThresholdOutcome[] {
  const out: ThresholdOutcome[] = []
  for (const t of parsed) {
    if (!isKnownMetric(t.name)) {
      // One outcome for the suite, not one per run: the problem is the scenario, not a run.
      out.push({
        runId: '(suite)',
        metric: t.metricKey,
        expression: t.expression,
        value: null,
        passed: false,
        abortOnFail: t.abortOnFail,
        message: `${t.metricKey} ${t.expression}: no such metric "${t.name}"; available: ${METRIC_NAMES.join(', ')}`,
      })
      continue
    }
    const selectors = Object.entries(t.tags).filter(([k]) => !(DATA_TAGS as readonly string[]).includes(k))
    const unknown = selectors.filter(([k]) => !runs.some((r) => runTagValue(r, k) !== undefined))
    if (unknown.length > 0) {
      const cellKeys = [...new Set(runs.flatMap((r) => Object.keys(r.cell)))]
      out.push(
        suiteFailure(
          t,
          `unknown tag "${unknown[0]![0]}" in ${t.metricKey}; tags: ${[...DATA_TAGS, 'run', 'cell', ...Object.keys(RUN_TOPOLOGY_TAGS), ...cellKeys].filter((k, i, a) => a.indexOf(k) === i).join(', ')}`,
        ),
      )
      continue
    }
    const selected = runs.filter((r) => selectors.every(([k, v]) => runTagValue(r, k) === v))
    if (selected.length === 0) {
      out.push(suiteFailure(t, `no run matches ${t.metricKey}; runs: ${runs.map((r) => r.id).join(', ') || 'none'}`))
      continue
    }
    // A run that failed before measuring anything (the environment broke) has no values to
    // judge: it makes the verdict exit 1 as a failed run, not 99 as a failed threshold.
    for (const run of selected.filter((r) => !(r.status === 'failed' && r.metrics.http_reqs.count === 0))) {
      const r = resolveThresholdValue(t, run)
      if ('error' in r) {
        out.push({
          runId: run.id,
          metric: t.metricKey,
          expression: t.expression,
          value: null,
          passed: false,
          abortOnFail: t.abortOnFail,
          message: `${t.metricKey} ${t.expression} on ${run.id}: ${r.error}`,
        })
        continue
      }
      const passed = compare(r.value, t.operator, t.limit) && r.failure === undefined
      const outcome: ThresholdOutcome = { runId: run.id, metric: t.metricKey, expression: t.expression, value: r.value, passed, abortOnFail: t.abortOnFail }
      if (r.failure !== undefined) outcome.message = `${t.metricKey} ${t.expression} failed on ${run.id}: ${r.failure}`
      else if (!passed) outcome.message = `${t.metricKey} ${t.expression} failed on ${run.id}: measured ${statLabel(t.stat)} = ${formatValue(t.name, r.value)}`
      else if (r.note) outcome.message = r.note
      out.push(outcome)
    }
  }
  return out
}

/**
 * Evaluates the scenario's thresholds against every run (the runner calls it after the runs,
 * and `loadlab report` may call it again). A syntax error in a stored results file becomes an
 * error outcome rather than an exception, so reports still render.
 */
export function evaluateThresholds(suite: SuiteResult): ThresholdOutcome[] {
  const record = suite.scenario.thresholds ?? {}
  const out: ThresholdOutcome[] = []
  for (const [key, specs] of Object.entries(record)) {
    let parsed: ParsedThreshold[]
    try {
      parsed = parseThresholds({ [key]: specs })
    } catch (err) {
      if (!(err instanceof ThresholdSyntaxError)) throw err
      out.push({ runId: '(suite)', metric: key, expression: err.expression, value: null, passed: false, abortOnFail: false, message: err.message })
      continue
    }
    out.push(...evaluateParsedThresholds(parsed, suite.runs))
  }
  return out
}

/** A threshold that cannot be judged for the suite (unknown tag, no matching run): a failure, never a pass. */
function suiteFailure(t: ParsedThreshold, message: string): ThresholdOutcome {
  return { runId: '(suite)', metric: t.metricKey, expression: t.expression, value: null, passed: false, abortOnFail: t.abortOnFail, message }
}
