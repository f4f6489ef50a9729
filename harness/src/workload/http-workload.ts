import { z } from 'zod'

// The generic HTTP workload: the user's own service, driven by named requests and flows (user
// journeys) instead of CRM operations. This is the resolved form the engines and load agents
// get: data files already read into rows and the named environment variables already looked up
// (an agent on another machine has neither the files nor the variables), every request already
// a step of a flow (a plain request is a one-step flow). The scenario module builds it from the
// user's `http` section (scenario-schema.ts); the agent protocol validates it with
// `httpWorkloadSchema` on arrival.

const jsonValue = z.json()

/** What a response must satisfy; each condition is one sample of the `checks` rate metric (as each named k6 check is). */
export const httpCheckSchema = z.object({
  /** Expected status codes (any of them). */
  status: z.array(z.number().int().min(100).max(599)).min(1).optional(),
  bodyContains: z.string().min(1).optional(),
  /** JSONPath expressions that must match something in the JSON body; with `equals`, the first match must equal it. */
  json: z.array(z.object({ path: z.string().min(1), equals: jsonValue.optional() })).optional(),
})

/** Where a variable's value comes from in a response. */
export const httpExtractSchema = z.union([
  z.object({ json: z.string().min(1) }),
  z.object({ header: z.string().min(1) }),
  z.object({ regex: z.string().min(1), group: z.number().int().min(0).optional() }),
])

export const thinkSchema = z.union([z.number().min(0), z.object({ min: z.number().min(0), max: z.number().min(0) })])

export const httpStepSchema = z.object({
  /** The `op` tag of the step's samples (http_req_duration{op:<name>}). */
  name: z.string(),
  method: z.string(),
  /** Path and optional query, starting with '/', with ${...} templates. */
  path: z.string(),
  query: z.record(z.string(), z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** JSON body: every string in it is a template. */
  json: jsonValue.optional(),
  /** Raw body template (sent as given; set content-type in headers). */
  body: z.string().optional(),
  check: httpCheckSchema.optional(),
  extract: z.record(z.string(), httpExtractSchema).optional(),
  /** Pause after this step before the next one of the flow: ms, or a uniform range. */
  thinkMs: thinkSchema.optional(),
})

export const httpFlowSchema = z.object({ name: z.string(), weight: z.number().positive(), steps: z.array(httpStepSchema).min(1) })

export const DATA_ORDERS = ['sequential', 'random', 'unique'] as const

export const httpDataSchema = z.object({
  /** The file the rows came from (for messages). */
  file: z.string(),
  /** sequential: row after row, round and round; random: any row each time; unique: every row at most once per run. */
  order: z.enum(DATA_ORDERS),
  rows: z.array(z.record(z.string(), z.string())),
  rowCount: z.number().int().min(0),
})

export const httpWorkloadSchema = z.object({
  flows: z.array(httpFlowSchema).min(1),
  data: z.record(z.string(), httpDataSchema),
  /** The environment variables the scenario names, with their values. */
  env: z.record(z.string(), z.string()),
})

export type HttpCheck = z.infer<typeof httpCheckSchema>
export type HttpExtract = z.infer<typeof httpExtractSchema>
export type HttpStep = z.infer<typeof httpStepSchema>
export type HttpFlow = z.infer<typeof httpFlowSchema>
export type HttpData = z.infer<typeof httpDataSchema>
export type HttpWorkload = z.infer<typeof httpWorkloadSchema>
export type ThinkTime = z.infer<typeof thinkSchema>
export type DataOrder = (typeof DATA_ORDERS)[number]

/** The op tags an HTTP workload can produce (every step name), in first-seen order. */
export function httpOperationNames(w: HttpWorkload): string[] {
  return [...new Set(w.flows.flatMap((f) => f.steps.map((s) => s.name)))]
}

/**
 * What results.json keeps of an HTTP workload: no data rows (they can be large and private) and
 * no environment values (tokens): only which files and variables were used.
 */
export function redactHttpWorkload(w: HttpWorkload): HttpWorkload {
  const data: HttpWorkload['data'] = {}
  for (const [name, d] of Object.entries(w.data)) data[name] = { ...d, rows: [] }
  const env: Record<string, string> = {}
  for (const name of Object.keys(w.env)) env[name] = '(redacted)'
  return { flows: w.flows, data, env }
}
