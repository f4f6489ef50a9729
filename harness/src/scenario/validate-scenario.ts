import type { z } from 'zod'
import { parseThresholds } from '../gates/threshold-expression.js'
import { formatFieldPath } from './format-field-path.js'
import { MATRIX_PATHS, setTopologyPath } from './matrix-paths.js'
import { NETWORK_FAULT_ACTIONS, type EnvironmentName, type Scenario, type Topology } from './scenario.js'
import { ScenarioError } from './scenario-error.js'
import { scenarioSchema, topologySchema, type ParsedScenario } from './scenario-schema.js'
import { resolveHttpWorkload } from './resolve-http-workload.js'
import { renameDeprecatedSpellings } from './rename-deprecated-spellings.js'
import type { HttpWorkload } from '../workload/http-workload.js'

/** What the command line may change in a scenario before it is checked (`loadlab run --env`). */
export interface ScenarioOverrides {
  environment?: EnvironmentName
}

/**
 * Checks a scenario object (the default export of a scenario file) and fills in its defaults.
 * Called once by `loadScenario` (and by tests with objects). Throws a ScenarioError whose
 * message names the file, every bad field by its path and, for a choice, the allowed values.
 * Old spellings of renamed fields are accepted; the result lists them in `deprecations`.
 */
export function validateScenario(input: unknown, file: string | null, overrides: ScenarioOverrides = {}): Scenario {
  const where = file ?? 'scenario'
  if (overrides.environment !== undefined && input !== null && typeof input === 'object') {
    input = { ...input, environment: overrides.environment }
  }
  const renamed = renameDeprecatedSpellings(input)
  input = renamed.input
  const parsed = scenarioSchema.safeParse(input)
  if (!parsed.success) throw new ScenarioError(describeIssues(where, parsed.error.issues, input))
  const s = parsed.data
  const problems: string[] = []

  const target = s.target === undefined ? null : checkTarget(s.target, problems)
  if (target !== null) problems.push(...checkTargetMatrix(s.matrix, 'matrix'), ...checkTargetMatrix(s.quick?.matrix ?? {}, 'quick.matrix'))
  const topology = target === null ? (s.topology ?? topologySchema.parse({})) : null
  if (topology !== null) problems.push(...checkMatrix(s.matrix, s.topology ?? {}, 'matrix'))
  if (topology !== null && s.quick?.matrix) problems.push(...checkMatrix(s.quick.matrix, s.topology ?? {}, 'quick.matrix'))
  for (const i of s.faults.keys()) {
    if (target !== null) problems.push(`faults[${i}]: faults need a topology LoadLab started; "${s.name}" uses an external target`)
  }
  problems.push(...environmentProblems(s, target !== null, overrides.environment !== undefined))

  let http: HttpWorkload | null = null
  if (s.http && target?.protocol === 'https:') {
    problems.push(
      `target: "${s.target}": \`http\` scenarios speak plain HTTP/1.1 (LoadLab's own client); load an http:// address, or put a TLS-terminating proxy in front of the service`,
    )
  }
  if (s.http) {
    const resolved = resolveHttpWorkload(s.http, file)
    problems.push(...resolved.problems)
    http = resolved.workload
  }

  try {
    parseThresholds(s.thresholds)
  } catch (error) {
    problems.push(`thresholds: ${error instanceof Error ? error.message : String(error)}`)
  }

  if (problems.length > 0) {
    throw new ScenarioError(`${where} is not a valid scenario:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
  return toScenario(s, topology, target, file, http, renamed.deprecations)
}

/**
 * A scenario with `target` has no topology to vary; its matrix may only vary `target` itself
 * (two versions of a service side by side), each value a loopback URL like `target`.
 */
function checkTargetMatrix(matrix: Record<string, Array<string | number>>, label: string): string[] {
  const problems: string[] = []
  for (const [key, values] of Object.entries(matrix)) {
    if (key !== 'target') {
      problems.push(
        `${label}[${JSON.stringify(key)}]: a scenario with \`target\` runs against a system LoadLab does not start, so there is no topology to vary; allowed: target (compare versions of your service), or use \`topology\``,
      )
      continue
    }
    values.forEach((v, i) => {
      const sub: string[] = []
      checkTarget(String(v), sub)
      for (const p of sub) problems.push(`${label}.target[${i}]: ${p.replace(/^target: /, '')}`)
    })
  }
  return problems
}

/** Without warmup.maxS the warm-up may stretch to this multiple of its minimum while the system is still warming. */
const DEFAULT_WARMUP_FACTOR = 3

/** An HTTP scenario's `workload`: no CRM operations and nothing to seed, with the http section's seed and timeout. */
function httpPlaceholderWorkload(s: ParsedScenario): Scenario['workload'] {
  return { mix: {}, keys: { kind: 'uniform' }, datasetSize: 0, seed: s.http?.seed ?? 1, requestTimeoutMs: s.http?.requestTimeoutMs ?? 5_000 }
}

function toScenario(
  s: ParsedScenario,
  topology: Topology | null,
  target: URL | null,
  file: string | null,
  http: HttpWorkload | null,
  deprecations: string[],
): Scenario {
  return {
    name: s.name,
    kind: s.kind,
    description: s.description,
    environment: s.environment,
    file,
    topology,
    target,
    matrix: s.matrix,
    workload: s.workload ?? httpPlaceholderWorkload(s),
    http,
    load: s.load,
    warmupS: s.warmup.durationS,
    warmupMaxS: s.warmup.maxS ?? DEFAULT_WARMUP_FACTOR * s.warmup.durationS,
    repetitions: s.repetitions,
    faults: s.faults,
    thresholds: s.thresholds,
    slo: s.slo ?? (s.kind === 'stress' ? { latency: { stat: 'p95', belowMs: 200 }, maxErrorRate: 0.01 } : null),
    stress: s.stress ?? null,
    capacity: s.capacity ? { targetRps: s.capacity.targetRps, headroom: s.capacity.headroom } : null,
    quick: s.quick ?? null,
    deprecations,
  }
}

/**
 * What only the containers environment can do: resource limits, link conditions and network
 * faults (Toxiproxy sits between the containers) and changing a CPU quota. Asked of local processes, each is an error
 * that says how to get it, rather than a run that silently ignores it.
 */
function environmentProblems(s: ParsedScenario, hasTarget: boolean, fromFlag: boolean): string[] {
  const problems: string[] = []
  const env = fromFlag ? `--env ${s.environment}` : `environment "${s.environment}"`
  if (hasTarget) {
    if (s.environment === 'containers') problems.push(`environment: ${env} starts a topology, but "${s.name}" uses an external \`target\`; remove one of them`)
    return problems
  }
  if (s.environment === 'containers') return problems
  const fix = fromFlag ? 'run it with --env containers' : "set `environment: 'containers'` (or run with --env containers)"
  const limited = Object.keys(s.topology?.resources ?? {})
  const matrixLimits = Object.keys(s.matrix).filter((path) => path.startsWith('resources.'))
  if (limited.length > 0 || matrixLimits.length > 0) {
    problems.push(`topology.resources: CPU and memory limits need containers, but ${env} runs local processes; ${fix}`)
  }
  if (Object.keys(s.topology?.links ?? {}).length > 0) {
    problems.push(`topology.links: link latency and bandwidth go through Toxiproxy between containers, but ${env} runs local processes; ${fix}`)
  }
  for (const [i, f] of s.faults.entries()) {
    if ((NETWORK_FAULT_ACTIONS as readonly string[]).includes(f.action)) {
      problems.push(`faults[${i}]: "${f.action}" is a network fault (Toxiproxy between containers), but ${env} runs local processes; ${fix}`)
    } else if (f.action === 'cpus') {
      problems.push(`faults[${i}]: "cpus" changes a container's CPU quota, but ${env} runs local processes; ${fix}`)
    }
  }
  return problems
}

// Load only ever goes to this machine: a typo in a URL must not turn LoadLab into a tool that
// floods someone else's server.
function checkTarget(text: string, problems: string[]): URL | null {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    problems.push(`target: "${text}" is not a URL; write it like http://127.0.0.1:8080`)
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`target: "${text}" must be an http:// or https:// URL`)
    return null
  }
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
  if (!loopback) {
    problems.push(
      `target: "${text}" is not on this machine. LoadLab only sends load to loopback addresses (127.0.0.1, localhost, ::1) ` +
        'so a mistyped URL cannot overload a system you do not own; run LoadLab on a machine next to the system under test instead',
    )
    return null
  }
  return url
}

/** Each matrix value must be a valid value of its topology field: try it in place and report where it fails. */
function checkMatrix(matrix: Record<string, Array<string | number>>, base: unknown, label: string): string[] {
  const problems: string[] = []
  for (const [path, values] of Object.entries(matrix)) {
    if (!(MATRIX_PATHS as readonly string[]).includes(path)) {
      problems.push(`${label}[${JSON.stringify(path)}]: not a topology field; allowed: ${MATRIX_PATHS.join(', ')}`)
      continue
    }
    values.forEach((value, i) => {
      const candidate = setTopologyPath(structuredClone(base) as Record<string, unknown>, path, value)
      const result = topologySchema.safeParse(candidate)
      if (result.success) return
      for (const issue of result.error.issues) {
        const allowed = allowedValues(issue)
        problems.push(
          `${label}[${JSON.stringify(path)}][${i}] = ${JSON.stringify(value)}: ${issue.message}` +
            (allowed ? `; allowed: ${allowed}` : '') +
            (issue.path.join('.') === path ? '' : ` (at topology.${issue.path.join('.')})`),
        )
      }
    })
  }
  return problems
}

function allowedValues(issue: z.core.$ZodIssue): string | null {
  if (issue.code === 'invalid_value') return issue.values.map((v) => String(v)).join(', ')
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    return (issue.options as unknown[]).map((v) => String(v)).join(', ')
  }
  return null
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let node: unknown = input
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<PropertyKey, unknown>)[key]
  }
  return node
}

function describeIssues(where: string, issues: readonly z.core.$ZodIssue[], input: unknown): string {
  const lines = issues.map((issue) => {
    const allowed = allowedValues(issue)
    const got = valueAt(input, issue.path)
    const shown = got === undefined || typeof got === 'object' ? '' : ` = ${JSON.stringify(got)}`
    // A refused record key (a link that is not one) carries its reasons inside.
    const message = issue.code === 'invalid_key' ? issue.issues.map((i) => i.message).join('; ') : issue.message
    return `  - ${formatFieldPath(issue.path)}${shown}: ${message}${allowed ? `; allowed: ${allowed}` : ''}`
  })
  return `${where} is not a valid scenario:\n${lines.join('\n')}`
}
