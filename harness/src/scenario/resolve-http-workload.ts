import path from 'node:path'
import { readDataFile } from '../workload/data-file.js'
import { templateReferences } from '../workload/http-template.js'
import type { HttpStep, HttpWorkload } from '../workload/http-workload.js'
import type { ParsedHttpSpec } from './http-scenario-schema.js'

type StepSpec = ParsedHttpSpec['flows'][number]['steps'][number]

/**
 * The `http` section as the engines run it: data files read (relative to the scenario file),
 * the named environment variables looked up, each request a one-step flow. Every template is
 * checked here, so a misspelt variable is an exit-2 error before anything starts and never an
 * empty value in the middle of a run. Problems are returned (one line each, naming the field),
 * not thrown, so the user sees all of them at once.
 */
export function resolveHttpWorkload(
  spec: ParsedHttpSpec,
  scenarioFile: string | null,
  env: NodeJS.ProcessEnv = process.env,
): { workload: HttpWorkload; problems: string[] } {
  const problems: string[] = []
  const base = scenarioFile ? path.dirname(scenarioFile) : process.cwd()

  const data: HttpWorkload['data'] = {}
  for (const [name, d] of Object.entries(spec.data)) {
    const file = path.resolve(base, d.file)
    try {
      const rows = readDataFile(file)
      data[name] = { file, order: d.order, rows, rowCount: rows.length }
    } catch (error) {
      problems.push(`http.data.${name}.file: ${(error as Error).message}`)
    }
  }

  const values: Record<string, string> = {}
  for (const name of spec.env) {
    const v = env[name]
    if (v === undefined) problems.push(`http.env: environment variable ${name} is not set; set it (export ${name}=...) or remove it from \`env\``)
    else values[name] = v
  }

  const flows: HttpWorkload['flows'] = []
  spec.requests.forEach((r, i) => {
    const { weight, ...step } = r
    checkStep(step, `http.requests[${i}]`, new Set(), spec, data, problems)
    flows.push({ name: r.name, weight, steps: [toStep(step)] })
  })
  spec.flows.forEach((f, i) => {
    const known = new Set<string>()
    f.steps.forEach((s, j) => {
      checkStep(s, `http.flows[${i}].steps[${j}]`, known, spec, data, problems)
      for (const name of Object.keys(s.extract ?? {})) known.add(name)
    })
    flows.push({ name: f.name, weight: f.weight, steps: f.steps.map(toStep) })
  })
  return { workload: { flows, data, env: values }, problems }
}

function toStep(s: StepSpec): HttpStep {
  const check = s.check
  return {
    name: s.name,
    method: s.method,
    path: s.path,
    ...(s.query ? { query: Object.fromEntries(Object.entries(s.query).map(([k, v]) => [k, String(v)])) } : {}),
    ...(s.headers ? { headers: s.headers } : {}),
    ...(s.json !== undefined ? { json: s.json } : {}),
    ...(s.body !== undefined ? { body: s.body } : {}),
    ...(check
      ? {
          check: {
            ...(check.status !== undefined ? { status: Array.isArray(check.status) ? check.status : [check.status] } : {}),
            ...(check.bodyContains !== undefined ? { bodyContains: check.bodyContains } : {}),
            ...(check.json ? { json: check.json } : {}),
          },
        }
      : {}),
    ...(s.extract ? { extract: s.extract } : {}),
    ...(s.thinkMs !== undefined ? { thinkMs: s.thinkMs } : {}),
  }
}

/** Every string of a JSON value with where it sits. */
function jsonStrings(value: unknown, at: string, out: Array<[string, string]>): void {
  if (typeof value === 'string') out.push([at, value])
  else if (Array.isArray(value))
    value.forEach((v, i) => {
      jsonStrings(v, `${at}[${i}]`, out)
    })
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) jsonStrings(v, `${at}.${k}`, out)
}

function checkStep(s: StepSpec, at: string, known: Set<string>, spec: ParsedHttpSpec, data: HttpWorkload['data'], problems: string[]): void {
  const texts: Array<[string, string]> = [[`${at}.path`, s.path]]
  for (const [k, v] of Object.entries(s.query ?? {})) if (typeof v === 'string') texts.push([`${at}.query.${k}`, v])
  for (const [k, v] of Object.entries(s.headers ?? {})) texts.push([`${at}.headers.${k}`, v])
  if (s.body !== undefined) texts.push([`${at}.body`, s.body])
  if (s.json !== undefined) jsonStrings(s.json, `${at}.json`, texts)
  for (const [where, text] of texts) {
    let refs: ReturnType<typeof templateReferences>
    try {
      refs = templateReferences(text)
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`)
      continue
    }
    for (const ref of refs) {
      if (ref.kind === 'env' && !spec.env.includes(ref.name))
        problems.push(`${where}: \${env.${ref.name}} reads an environment variable the scenario does not name; add "${ref.name}" to http.env`)
      if (ref.kind === 'data') {
        if (!(ref.set in spec.data))
          problems.push(
            `${where}: \${${ref.set}.${ref.column}}: no data set "${ref.set}"; data sets: ${Object.keys(spec.data).join(', ') || 'none (declare one in http.data)'}`,
          )
        else if (data[ref.set] && !(ref.column in data[ref.set]!.rows[0]!))
          problems.push(
            `${where}: \${${ref.set}.${ref.column}}: ${data[ref.set]!.file} has no column "${ref.column}"; columns: ${Object.keys(data[ref.set]!.rows[0]!).join(', ')}`,
          )
      }
      if (ref.kind === 'var' && !known.has(ref.name))
        problems.push(
          `${where}: \${${ref.name}} is not extracted by an earlier step of this flow${known.size > 0 ? ` (extracted so far: ${[...known].join(', ')})` : ''}; extract it with \`extract: { ${ref.name}: { json: '$.…' } }\` in an earlier step`,
        )
    }
  }
  for (const [name, e] of Object.entries(s.extract ?? {})) {
    if ('regex' in e) {
      try {
        new RegExp(e.regex)
      } catch (error) {
        problems.push(`${at}.extract.${name}.regex: ${(error as Error).message}`)
      }
    }
  }
}
