import { OPERATIONS, type Workload } from '../workload/workload.js'
import { httpOperationNames } from '../workload/http-workload.js'
import { RUN_TOPOLOGY_TAGS, runTagValue, type TaggableRun } from './evaluate-thresholds.js'
import type { ParsedThreshold } from './threshold-expression.js'
import { DATA_TAGS, isKnownMetric, THRESHOLD_METRICS } from './threshold-metrics.js'

// A threshold that names something the suite will never measure (a misspelt metric, a tag no run
// has, an operation the workload never sends, a backend or shard the topology lacks) can only
// fail or be meaningless. The runner checks every threshold against the planned runs before
// anything starts, so such a mistake costs an exit 2 in milliseconds, not a full suite.

/** A planned run as the check sees it: its tags and what its workload sends. */
export interface PlannedTarget extends TaggableRun {
  workload: Pick<Workload, 'mix' | 'http'>
  /** An external target: its backends and shards are only known once it is measured. */
  external: boolean
}

const PER_OPERATION_METRICS = ['http_reqs', 'http_req_duration', 'http_req_failed']

/** One line per problem, naming the threshold key; empty when every threshold can be judged. */
export function thresholdTargetProblems(thresholds: readonly ParsedThreshold[], runs: readonly PlannedTarget[]): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  for (const t of thresholds) {
    if (seen.has(t.metricKey)) continue // one message per key, not per expression
    seen.add(t.metricKey)
    const problem = problemOf(t, runs)
    if (problem) problems.push(`thresholds[${JSON.stringify(t.metricKey)}]: ${problem}`)
  }
  return problems
}

function problemOf(t: ParsedThreshold, runs: readonly PlannedTarget[]): string | null {
  if (!isKnownMetric(t.name)) return `no such metric "${t.name}"; metrics: ${Object.keys(THRESHOLD_METRICS).join(', ')}`
  const dataTags = Object.keys(t.tags).filter((k) => (DATA_TAGS as readonly string[]).includes(k))
  if (dataTags.length > 1) return `combine at most one of ${DATA_TAGS.join(', ')} in one key (got ${dataTags.join(', ')})`
  const selectors = Object.entries(t.tags).filter(([k]) => !(DATA_TAGS as readonly string[]).includes(k))
  const cellKeys = [...new Set(runs.flatMap((r) => Object.keys(r.cell)))]
  for (const [key, value] of selectors) {
    if (runs.some((r) => runTagValue(r, key) !== undefined)) {
      const values = [...new Set(runs.map((r) => runTagValue(r, key)).filter((v): v is string => v !== undefined))]
      if (!values.includes(value)) return `no run has ${key} "${value}"; ${key}: ${values.slice(0, 12).join(', ')}${values.length > 12 ? ', ...' : ''}`
      continue
    }
    const tags = [...DATA_TAGS, 'run', 'cell', ...Object.keys(RUN_TOPOLOGY_TAGS), ...cellKeys].filter((k, i, a) => a.indexOf(k) === i)
    return `unknown tag "${key}"; tags: ${tags.join(', ')}`
  }
  const selected = runs.filter((r) => selectors.every(([k, v]) => runTagValue(r, k) === v))
  if (selected.length === 0)
    return `the tags ${selectors.map(([k, v]) => `${k}:${v}`).join(', ')} select no run together; runs: ${runs
      .map((r) => r.id)
      .slice(0, 8)
      .join(', ')}`
  const tag = dataTags[0]
  const value = tag === undefined ? '' : t.tags[tag]!
  if (tag === 'op') {
    if (!PER_OPERATION_METRICS.includes(t.name)) return `${t.name} has no per-operation values; {op:...} works with ${PER_OPERATION_METRICS.join(', ')}`
    // An HTTP scenario's op tags are its request and step names.
    const http = selected.find((r) => r.workload.http)?.workload.http
    if (http) {
      const names = httpOperationNames(http)
      if (!names.includes(value)) return `unknown op "${value}"; requests and steps: ${names.join(', ')}`
      return null
    }
    if (!(OPERATIONS as readonly string[]).includes(value)) return `unknown op "${value}"; operations: ${OPERATIONS.join(', ')}`
    const sending = selected.filter((r) => (r.workload.mix[value as (typeof OPERATIONS)[number]] ?? 0) > 0)
    if (sending.length === 0)
      return `the workload never sends ${value} (its weight in workload.mix is 0 or missing); operations sent: ${Object.entries(selected[0]!.workload.mix)
        .filter(([, w]) => (w ?? 0) > 0)
        .map(([op]) => op)
        .join(', ')}`
  }
  if (tag === 'status' || tag === 'backend' || tag === 'shard') {
    if (t.name !== 'http_reqs') return `{${tag}:...} works only with http_reqs`
    if (tag === 'status' && !/^(0|[1-5]\d\d)$/.test(value)) return `status "${value}" is not an HTTP status code; give one like 200 or 503 (0 = no response)`
    if (tag === 'backend' && !selected.some((r) => r.external)) {
      const most = Math.max(...selected.map((r) => r.topology.replicas))
      const n = /^replica-(\d+)$/.exec(value)
      if (!n || Number(n[1]) < 1 || Number(n[1]) > most)
        return `no backend "${value}"; backends: ${Array.from({ length: most }, (_, i) => `replica-${i + 1}`).join(', ')}`
    }
    if (tag === 'shard' && !selected.some((r) => r.external)) {
      const most = Math.max(...selected.map((r) => r.topology.shards))
      if (!/^\d+$/.test(value) || Number(value) >= most) return `no shard "${value}"; shards: ${Array.from({ length: most }, (_, i) => String(i)).join(', ')}`
    }
  }
  return null
}
