import { z } from 'zod'
import { isKnownMetric, STATS_BY_TYPE, THRESHOLD_METRICS } from './threshold-metrics.js'

// k6's threshold grammar: `metric` or `metric{tag:value,...}` as the key, and expressions like
// `p(95)<50`, `avg<=100`, `rate<0.01`, `count>10` (operators < <= > >= == !=), short form as a
// string or long form `{ threshold, abortOnFail, delayAbortEval }`. Parsing happens when a
// scenario is loaded so a typo fails in milliseconds with exit 2, not after a ten-minute run.
// A metric name that LoadLab does not measure is NOT a syntax error here (the scenario may be
// evaluated against results from elsewhere); evaluation reports it as a failed (error) outcome.

export type ComparisonOperator = '<' | '<=' | '>' | '>=' | '==' | '!='
export type ThresholdStat = { kind: 'avg' | 'min' | 'med' | 'max' | 'count' | 'rate' } | { kind: 'p'; percentile: number }

export interface ParsedThreshold {
  /** The key as written: "http_req_duration{op:get_customer}". */
  metricKey: string
  /** The metric name without tags: "http_req_duration". */
  name: string
  /** Tags in the key, in order written. */
  tags: Record<string, string>
  /** The expression as written, trimmed: "p(95)<50". */
  expression: string
  stat: ThresholdStat
  operator: ComparisonOperator
  limit: number
  abortOnFail: boolean
  /** Seconds into a run before abortOnFail may stop it (k6 `delayAbortEval`), 0 when unset. */
  delayAbortEvalS: number
}

export class ThresholdSyntaxError extends Error {
  override readonly name = 'ThresholdSyntaxError'
  constructor(
    readonly metricKey: string,
    readonly expression: string,
    problem: string,
  ) {
    super(`threshold "${metricKey}": "${expression}": ${problem}`)
  }
}

export type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string }
export type ThresholdRecord = Record<string, ReadonlyArray<ThresholdSpec>>

const KEY_RE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(.*)\})?\s*$/
const EXPR_RE = /^\s*(avg|min|med|max|count|rate|p\(\s*([0-9]+(?:\.[0-9]+)?)\s*\))\s*(<=|>=|==|!=|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*$/
const ALLOWED_EXPR =
  'allowed: avg|min|med|max|p(N) for trends, count|rate for counters, rate for rates, then one of < <= > >= == != and a number, e.g. "p(95)<200" or "rate<0.01"'

const longForm = z
  .object({
    threshold: z.string(),
    abortOnFail: z.boolean().optional(),
    delayAbortEval: z
      .string()
      .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'a duration like "10s", "500ms" or "1m"')
      .optional(),
  })
  .strict()

function parseDurationS(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text)
  if (!m) return 0
  const v = Number(m[1])
  return m[2] === 'ms' ? v / 1000 : m[2] === 's' ? v : m[2] === 'm' ? v * 60 : v * 3600
}

/** Splits a metric key into name and tags; throws ThresholdSyntaxError naming the key. */
export function parseMetricKey(metricKey: string, expressionForErrors = ''): { name: string; tags: Record<string, string> } {
  const m = KEY_RE.exec(metricKey)
  if (!m) {
    throw new ThresholdSyntaxError(
      metricKey,
      expressionForErrors,
      'the metric key must be a name or name{tag:value,...}, e.g. "http_req_duration{op:get_customer}"',
    )
  }
  const tags: Record<string, string> = {}
  if (m[2] !== undefined) {
    for (const part of m[2].split(',')) {
      const idx = part.indexOf(':')
      const k = idx >= 0 ? part.slice(0, idx).trim() : ''
      const v = idx >= 0 ? part.slice(idx + 1).trim() : ''
      if (!k || !v || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k)) {
        throw new ThresholdSyntaxError(
          metricKey,
          expressionForErrors,
          `bad tag "${part.trim()}": write tags as key:value separated by commas, e.g. {op:get_customer,cache:lru}`,
        )
      }
      tags[k] = v
    }
  }
  return { name: m[1]!, tags }
}

/** Parses one expression for `metricKey`; throws ThresholdSyntaxError naming both and the fix. */
export function parseThreshold(metricKey: string, spec: ThresholdSpec): ParsedThreshold {
  let expression: string
  let abortOnFail = false
  let delayAbortEvalS = 0
  if (typeof spec === 'string') {
    expression = spec
  } else {
    const r = longForm.safeParse(spec)
    if (!r.success) {
      const issue = r.error.issues[0]!
      const where = issue.path.length > 0 ? issue.path.join('.') : 'object'
      throw new ThresholdSyntaxError(
        metricKey,
        JSON.stringify(spec) ?? String(spec),
        `long form ${where}: ${issue.message}; allowed: { threshold: "p(95)<200", abortOnFail?: boolean, delayAbortEval?: "10s" }`,
      )
    }
    expression = r.data.threshold
    abortOnFail = r.data.abortOnFail ?? false
    delayAbortEvalS = r.data.delayAbortEval ? parseDurationS(r.data.delayAbortEval) : 0
  }
  const { name, tags } = parseMetricKey(metricKey, expression)
  const m = EXPR_RE.exec(expression)
  if (!m) throw new ThresholdSyntaxError(metricKey, expression, `not a threshold expression; ${ALLOWED_EXPR}`)
  let stat: ThresholdStat
  if (m[2] !== undefined) {
    const percentile = Number(m[2])
    if (!(percentile >= 0 && percentile <= 100))
      throw new ThresholdSyntaxError(metricKey, expression, `percentile ${m[2]} is out of range; use p(N) with 0 <= N <= 100`)
    stat = { kind: 'p', percentile }
  } else {
    stat = { kind: m[1] as 'avg' | 'min' | 'med' | 'max' | 'count' | 'rate' }
  }
  if (isKnownMetric(name)) {
    const type = THRESHOLD_METRICS[name]
    const statName = stat.kind === 'p' ? 'p(N)' : stat.kind
    if (!STATS_BY_TYPE[type].includes(statName)) {
      throw new ThresholdSyntaxError(metricKey, expression, `${name} is a ${type} metric; allowed: ${STATS_BY_TYPE[type].join(', ')}`)
    }
  }
  return {
    metricKey: metricKey.trim(),
    name,
    tags,
    expression: expression.trim(),
    stat,
    operator: m[3] as ComparisonOperator,
    limit: Number(m[4]),
    abortOnFail,
    delayAbortEvalS,
  }
}

/** Parses a scenario's `thresholds` record (the scenario validator calls it; errors mean exit 2). */
export function parseThresholds(record: ThresholdRecord): ParsedThreshold[] {
  const out: ParsedThreshold[] = []
  for (const [key, specs] of Object.entries(record)) {
    if (!Array.isArray(specs)) {
      throw new ThresholdSyntaxError(key, String(specs), 'thresholds for a metric must be an array, e.g. { "http_req_duration": ["p(95)<200"] }')
    }
    for (const spec of specs) out.push(parseThreshold(key, spec))
  }
  return out
}

/** Applies the comparison; called by the evaluator and the live abortOnFail check. */
export function compare(value: number, operator: ComparisonOperator, limit: number): boolean {
  switch (operator) {
    case '<':
      return value < limit
    case '<=':
      return value <= limit
    case '>':
      return value > limit
    case '>=':
      return value >= limit
    case '==':
      return value === limit
    case '!=':
      return value !== limit
  }
}

export function statLabel(stat: ThresholdStat): string {
  return stat.kind === 'p' ? `p(${stat.percentile})` : stat.kind
}
