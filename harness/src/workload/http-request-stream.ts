import { JSONPath } from 'jsonpath-plus'
import { createSeededRandom, type SeededRandom } from '../random/seeded-random.js'
import type { ExecutionSegment } from './execution-segment.js'
import { compileJsonTemplate, compileTemplate, type TemplateScope } from './http-template.js'
import type { HttpCheck, HttpExtract, HttpFlow, HttpStep, HttpWorkload, ThinkTime } from './http-workload.js'

// Turns an HTTP workload into what the engines send: one iteration is one flow (a plain request
// is a one-step flow) drawn by weight, with its data rows picked once at its start; each step's
// request is rendered from its templates into the HTTP/1.1 text the engines write, and each
// response is checked and its values extracted for the steps after it. Engines call begin() per
// arrival (open model) or per loop of a connection (closed model) and respond() per response.
//
// Streams: agent i of N draws its own flows and random values (stream i of the seed), takes the
// sequential and unique data rows i, i+N, i+2N, ... and numbers its iterations i, i+N, ... so the
// agents together walk the data once in order and never reuse a `seq` or a unique row.

/** One request, rendered: what an engine writes and what it must read back. */
export interface OutgoingRequest {
  /** The op tag (the step's name). */
  op: string
  /** The whole HTTP/1.1 request text. */
  payload: string
  /** Whether the step's checks or extractions read the body / the headers (engines skip them otherwise). */
  wantBody: boolean
  wantHeaders: boolean
}

/** A failed check with the response that failed it, for the report's error section. */
export interface CheckFailure {
  op: string
  /** What was expected: "status is 200", "body contains \"ok\"", "$.id exists", "extract token". */
  check: string
  status: number
  /** The response body, trimmed to MAX_EXAMPLE_BODY characters. */
  body: string
}

/** What one response did to its iteration. */
export interface StepOutcome {
  checksPassed: number
  checksFailed: number
  /** Every condition that failed, each with this response. */
  failures: CheckFailure[]
  /** The next step's request, or null when the iteration is over. */
  next: OutgoingRequest | null
  /** Pause before `next` (ms). */
  thinkMs: number
}

export const MAX_EXAMPLE_BODY = 500

const ITERATION_DONE: StepOutcome = Object.freeze({
  checksPassed: 0,
  checksFailed: 0,
  failures: Object.freeze([]) as unknown as CheckFailure[],
  next: null,
  thinkMs: 0,
})

interface CompiledCheck {
  label: string
  test(status: number, body: string | undefined, json: () => unknown): boolean
}

interface CompiledStep {
  op: string
  render(scope: TemplateScope): string
  checks: CompiledCheck[]
  extract: Array<{
    name: string
    label: string
    from(status: number, body: string | undefined, headers: readonly string[] | undefined, json: () => unknown): string | undefined
  }>
  wantBody: boolean
  wantHeaders: boolean
  think(rng: SeededRandom): number
}

interface CompiledFlow {
  name: string
  steps: CompiledStep[] /** Whether any step extracts variables (else its iterations share one empty map). */
  extracts: boolean
}

const NO_VARS: ReadonlyMap<string, string> = new Map()
const NO_ROWS: TemplateScope['rows'] = Object.freeze({})

export interface RequestStreamOptions {
  /** Host header value (the target's host:port). */
  host: string
  seed: number
  segment: ExecutionSegment
}

const NO_JSON = Symbol('not json')

function encodePathValue(v: string): string {
  return encodeURIComponent(v)
}
function stripLineBreaks(v: string): string {
  return v.replace(/[\r\n]+/g, ' ')
}

function firstJsonMatch(json: unknown, path: string): { found: boolean; value?: unknown } {
  if (json === NO_JSON) return { found: false }
  const matches = JSONPath({ path, json: json as object, wrap: true, eval: false }) as unknown[]
  return matches.length > 0 ? { found: true, value: matches[0] } : { found: false }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function compileChecks(check: HttpCheck | undefined): CompiledCheck[] {
  if (!check) return []
  const out: CompiledCheck[] = []
  if (check.status) {
    const allowed = new Set(check.status)
    out.push({ label: `status is ${check.status.join(' or ')}`, test: (status) => allowed.has(status) })
  }
  if (check.bodyContains !== undefined) {
    const needle = check.bodyContains
    out.push({ label: `body contains ${JSON.stringify(needle)}`, test: (_s, body) => body?.includes(needle) === true })
  }
  for (const j of check.json ?? []) {
    if (j.equals === undefined) out.push({ label: `${j.path} exists`, test: (_s, _b, json) => firstJsonMatch(json(), j.path).found })
    else {
      const expected = j.equals
      out.push({
        label: `${j.path} equals ${JSON.stringify(expected)}`,
        test: (_s, _b, json) => {
          const m = firstJsonMatch(json(), j.path)
          return m.found && sameJson(m.value, expected)
        },
      })
    }
  }
  return out
}

function compileExtract(name: string, e: HttpExtract): CompiledStep['extract'][number] {
  if ('json' in e) {
    return {
      name,
      label: `extract ${name} from ${e.json}`,
      from: (_s, _b, _h, json) => {
        const m = firstJsonMatch(json(), e.json)
        if (!m.found || m.value === null || m.value === undefined) return undefined
        return typeof m.value === 'string' ? m.value : JSON.stringify(m.value)
      },
    }
  }
  if ('header' in e) {
    const wanted = e.header.toLowerCase()
    return {
      name,
      label: `extract ${name} from header ${e.header}`,
      from: (_s, _b, headers) => {
        if (!headers) return undefined
        for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i]!.toLowerCase() === wanted) return headers[i + 1]
        return undefined
      },
    }
  }
  const re = new RegExp(e.regex)
  const group = e.group ?? (re.source.includes('(') ? 1 : 0)
  return {
    name,
    label: `extract ${name} by /${e.regex}/`,
    from: (_s, body) => {
      if (body === undefined) return undefined
      const m = re.exec(body)
      return m?.[group] ?? undefined
    },
  }
}

function compileThink(t: ThinkTime | undefined): (rng: SeededRandom) => number {
  if (t === undefined) return () => 0
  if (typeof t === 'number') return () => t
  return (rng) => t.min + rng.next() * (t.max - t.min)
}

function compileStep(step: HttpStep, host: string): CompiledStep {
  const method = step.method.toUpperCase()
  const path = compileTemplate(step.path, encodePathValue)
  const query = Object.entries(step.query ?? {}).map(([k, v]) => ({ key: encodeURIComponent(k), value: compileTemplate(v) }))
  const headerNames = Object.keys(step.headers ?? {}).map((h) => h.toLowerCase())
  const headers = Object.entries(step.headers ?? {}).map(([k, v]) => ({ name: k, value: compileTemplate(v, stripLineBreaks) }))
  const body = step.json !== undefined ? compileJsonTemplate(step.json) : step.body !== undefined ? compileTemplate(step.body) : null
  const contentType = step.json !== undefined && !headerNames.includes('content-type') ? 'Content-Type: application/json\r\n' : ''
  const head = `Host: ${host}\r\n`
  const render = (scope: TemplateScope): string => {
    let target = path(scope)
    if (query.length > 0) {
      let qs = ''
      for (const q of query) qs += `${qs === '' ? '' : '&'}${q.key}=${encodeURIComponent(q.value(scope))}`
      target += `${target.includes('?') ? '&' : '?'}${qs}`
    }
    let text = `${method} ${target} HTTP/1.1\r\n${head}`
    for (const h of headers) text += `${h.name}: ${h.value(scope)}\r\n`
    if (body === null) return `${text}\r\n`
    const b = body(scope)
    return `${text}${contentType}Content-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`
  }
  const checks = compileChecks(step.check)
  const extract = Object.entries(step.extract ?? {}).map(([name, e]) => compileExtract(name, e))
  // A step with checks reads its body even for a status check: a failure is reported with the body that failed it.
  const readsBody = checks.length > 0 || Object.values(step.extract ?? {}).some((e) => 'json' in e || 'regex' in e)
  return {
    op: step.name,
    render,
    checks,
    extract,
    wantBody: readsBody,
    wantHeaders: Object.values(step.extract ?? {}).some((e) => 'header' in e),
    think: compileThink(step.thinkMs),
  }
}

/** Hands out data rows in the set's order; null once a unique set is used up. */
class RowPicker {
  private next: number
  constructor(
    private readonly rows: ReadonlyArray<Record<string, string>>,
    private readonly order: 'sequential' | 'random' | 'unique',
    private readonly segment: ExecutionSegment,
    private readonly rng: SeededRandom,
  ) {
    this.next = segment.index
  }

  pick(): Record<string, string> | null {
    const n = this.rows.length
    if (n === 0) return null
    if (this.order === 'random') return this.rows[this.rng.int(n)]!
    const i = this.next
    this.next += this.segment.count
    if (this.order === 'unique') return i < n ? this.rows[i]! : null
    return this.rows[i % n]!
  }
}

/** One flow iteration in progress. */
export class HttpIteration {
  private index = 0
  /** The request to send now. */
  current: OutgoingRequest

  constructor(
    private readonly flow: CompiledFlow,
    private readonly scope: TemplateScope,
  ) {
    // A flow has at least one step (the scenario schema says so).
    this.current = this.render(flow.steps[0]!)
  }

  get flowName(): string {
    return this.flow.name
  }

  private render(step: CompiledStep): OutgoingRequest {
    return { op: step.op, payload: step.render(this.scope), wantBody: step.wantBody, wantHeaders: step.wantHeaders }
  }

  /**
   * Called with the response to `current` (status 0 = none came): runs its checks and
   * extractions and moves to the next step. An iteration ends after its last step, after a
   * request that got no response, or when a value a later step needs could not be extracted
   * (counted as a failed check, since the rest of the journey would be meaningless).
   */
  respond(status: number, body: string | undefined, headers: readonly string[] | undefined): StepOutcome {
    // Called only while the iteration runs, so `index` is one of its steps.
    const step = this.flow.steps[this.index]!
    // The common case of a plain request (nothing to check or extract, last step) costs no allocation.
    if (step.checks.length === 0 && step.extract.length === 0 && this.index + 1 >= this.flow.steps.length) {
      this.index++
      return ITERATION_DONE
    }
    let parsed: unknown
    const json = (): unknown => {
      if (parsed === undefined) {
        try {
          parsed = body === undefined ? NO_JSON : JSON.parse(body)
        } catch {
          parsed = NO_JSON
        }
      }
      return parsed
    }
    let passed = 0
    let failed = 0
    const failures: CheckFailure[] = []
    const fail = (label: string): void => {
      failed++
      failures.push({ op: step.op, check: label, status, body: (body ?? '').slice(0, MAX_EXAMPLE_BODY) })
    }
    for (const c of step.checks) {
      if (status !== 0 && c.test(status, body, json)) passed++
      else fail(c.label)
    }
    let broken = status === 0
    for (const e of step.extract) {
      const value = status === 0 ? undefined : e.from(status, body, headers, json)
      if (value === undefined) {
        fail(e.label)
        broken = true
      } else this.scope.vars.set(e.name, value)
    }
    this.index++
    if (broken || this.index >= this.flow.steps.length) return { checksPassed: passed, checksFailed: failed, failures, next: null, thinkMs: 0 }
    const thinkMs = step.think(this.scope.rng)
    this.current = this.render(this.flow.steps[this.index]!)
    return { checksPassed: passed, checksFailed: failed, failures, next: this.current, thinkMs }
  }
}

/** Why an iteration could not start (a unique data set is used up). */
export interface IterationRefused {
  op: string
  error: string
}

export class HttpRequestStream {
  private readonly flows: CompiledFlow[]
  private readonly cumulative: number[] = []
  private readonly total: number
  private readonly rng: SeededRandom
  private readonly pickers: Array<[string, RowPicker]>
  private seq: number
  private readonly seqStep: number

  constructor(
    private readonly w: HttpWorkload,
    opts: RequestStreamOptions,
  ) {
    this.flows = w.flows.map((f: HttpFlow) => ({
      name: f.name,
      steps: f.steps.map((s) => compileStep(s, opts.host)),
      extracts: f.steps.some((s) => Object.keys(s.extract ?? {}).length > 0),
    }))
    let total = 0
    for (const f of w.flows) this.cumulative.push((total += f.weight))
    this.total = total
    const root = createSeededRandom(opts.seed)
    this.rng = opts.segment.index === 0 ? root : root.fork(1_000_000 + opts.segment.index)
    this.pickers = Object.entries(w.data).map(([name, d], i) => [name, new RowPicker(d.rows, d.order, opts.segment, this.rng.fork(10 + i))])
    this.seq = opts.segment.index
    this.seqStep = opts.segment.count
  }

  /** Called once per arrival (open) or loop of a connection (closed): the next iteration, or why none can start. */
  begin(): HttpIteration | IterationRefused {
    const flow = this.pickFlow()
    // Requests without data or extraction (most of a plain request mix) allocate no scope of their own.
    const rows: TemplateScope['rows'] = this.pickers.length === 0 ? NO_ROWS : {}
    for (const [name, picker] of this.pickers) {
      const row = picker.pick()
      if (row === null) return { op: flow.steps[0]!.op, error: `data "${name}" used up (unique rows)` }
      rows[name] = row
    }
    const scope: TemplateScope = { vars: flow.extracts ? new Map() : (NO_VARS as Map<string, string>), rows, seq: this.seq, env: this.w.env, rng: this.rng }
    this.seq += this.seqStep
    return new HttpIteration(flow, scope)
  }

  private pickFlow(): CompiledFlow {
    if (this.flows.length === 1) return this.flows[0]!
    const u = this.rng.next() * this.total
    for (let i = 0; i < this.cumulative.length; i++) if (u < this.cumulative[i]!) return this.flows[i]!
    return this.flows[this.flows.length - 1]!
  }
}
