import { z } from 'zod'
import { DATA_ORDERS } from '../workload/http-workload.js'

// The `http` section of a scenario file (the user's own service): what the user writes, checked
// strictly (a misspelt field is an error) with its defaults. resolve-http-workload.ts turns it
// into the engines' HttpWorkload (data files read, env looked up, requests made one-step flows).

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const

/** Names are op tags in threshold keys (`http_req_duration{op:<name>}`): no spaces, commas, braces or colons. */
const opName = z.string().regex(/^[A-Za-z0-9_.\-/]+$/, { message: 'use letters, digits, _ . - / only (the name is the op tag in threshold keys)' })
const identifier = z.string().regex(/^[A-Za-z_][\w-]*$/, { message: 'use a letter or _ followed by letters, digits, _ or -' })
const status = z.number().int().min(100).max(599)
const queryValue = z.union([z.string(), z.number(), z.boolean()])

// Host and Content-Length are written by the engine (from the target and the body).
const headers = z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: 'not a valid HTTP header name' }), z.string()).superRefine((h, ctx) => {
  for (const name of Object.keys(h)) {
    if (/^(host|content-length|transfer-encoding|connection)$/i.test(name))
      ctx.addIssue({ code: 'custom', path: [name], message: `${name} is set by LoadLab (from the target and the body); leave it out` })
  }
})

const checkSchema = z.strictObject({
  /** The expected status, or any of a list. */
  status: z.union([status, z.array(status).min(1)]).optional(),
  bodyContains: z.string().min(1).optional(),
  /** JSONPath expressions (`$.user.id`) that must match; with `equals` the first match must equal the value. */
  json: z.array(z.strictObject({ path: z.string().min(1), equals: z.json().optional() })).optional(),
})

const extractSchema = z.union([
  z.strictObject({ json: z.string().min(1) }),
  z.strictObject({ header: z.string().min(1) }),
  z.strictObject({ regex: z.string().min(1), group: z.number().int().min(0).optional() }),
])

const thinkSchema = z.union([
  z.number().min(0),
  z
    .strictObject({ min: z.number().min(0), max: z.number().min(0) })
    .refine((t) => t.max >= t.min, { message: 'thinkMs.max must be >= thinkMs.min', path: ['max'] }),
])

const stepFields = {
  /** The op tag: thresholds read `http_req_duration{op:<name>}`. */
  name: opName,
  method: z.enum(HTTP_METHODS).default('GET'),
  /** Joined to `target`; starts with '/'. Strings in path, query, headers and body may hold `${...}` templates. */
  path: z.string().startsWith('/', { message: 'a path starts with "/" (it is joined to `target`)' }),
  headers: headers.optional(),
  query: z.record(z.string().min(1), queryValue).optional(),
  json: z.json().optional(),
  body: z.string().optional(),
  /** Each condition is one sample of the `checks` rate metric. */
  check: checkSchema.optional(),
  /** Variables for later steps of the same flow iteration: `${name}`. */
  extract: z.record(identifier, extractSchema).optional(),
  /** Pause after this step (ms), fixed or a uniform range. */
  thinkMs: thinkSchema.optional(),
}

function oneBody(s: { json?: unknown; body?: string }, ctx: z.RefinementCtx): void {
  if (s.json !== undefined && s.body !== undefined) ctx.addIssue({ code: 'custom', path: ['body'], message: 'give either `json` or `body`, not both' })
}

export const httpStepSpecSchema = z.strictObject(stepFields).superRefine(oneBody)
export const httpRequestSpecSchema = z.strictObject({ ...stepFields, weight: z.number().positive().default(1) }).superRefine(oneBody)
export const httpFlowSpecSchema = z.strictObject({ name: opName, weight: z.number().positive().default(1), steps: z.array(httpStepSpecSchema).min(1) })

export const httpSpecSchema = z
  .strictObject({
    /** Independent requests, each drawn by weight (default 1). */
    requests: z.array(httpRequestSpecSchema).default([]),
    /** User journeys: one iteration runs the steps in order. */
    flows: z.array(httpFlowSpecSchema).default([]),
    /** Data sets: name -> CSV or JSON file (relative to the scenario file) and the order rows are handed out in. */
    data: z.record(identifier, z.strictObject({ file: z.string().min(1), order: z.enum(DATA_ORDERS).default('sequential') })).default({}),
    /** Environment variables templates may read as ${env.NAME}; only these are read. */
    env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'not an environment variable name' })).default([]),
    seed: z.number().int().default(1),
    requestTimeoutMs: z.number().int().min(1).default(5_000),
  })
  .refine((h) => h.requests.length + h.flows.length > 0, { message: 'give at least one request (`requests: [{ name: "home", path: "/" }]`) or flow' })

export type ParsedHttpSpec = z.output<typeof httpSpecSchema>
