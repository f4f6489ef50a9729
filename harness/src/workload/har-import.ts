import { z } from 'zod'

// `loadlab import har`: a browser's or proxy's recording (HAR 1.2) turned into an HTTP scenario
// that runs as written. Target: the origin most of the recording went to; one request per
// distinct method + path, weighted by how often it occurred; the first occurrence gives its
// query, headers, body and the status a check expects. Static assets (images, fonts, CSS,
// scripts) are left out unless asked for: a load test of a service rarely means its CDN.
// Cookies and credentials are left out unless asked for: a recording's session expires, and a
// scenario file is often committed.

const nameValue = z.object({ name: z.string(), value: z.string() })

const harSchema = z.object({
  log: z.object({
    entries: z.array(
      z.object({
        request: z.object({
          method: z.string().min(1),
          url: z.string().min(1),
          headers: z.array(nameValue).default([]),
          postData: z.object({ mimeType: z.string().default(''), text: z.string().optional() }).optional(),
        }),
        response: z.object({ status: z.number(), content: z.object({ mimeType: z.string().optional() }).optional() }).optional(),
      }),
    ),
  }),
})

export class HarImportError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'HarImportError'
  }
}

export interface HarImportOptions {
  includeStatic?: boolean
  keepAuth?: boolean
  /** The scenario's name (default: from the file name). */
  name: string
  /** How the generated file imports defineScenario (a path relative to it). */
  defineScenarioImport: string
}

export interface HarImportResult {
  /** The scenario file's text. */
  text: string
  target: string
  requests: number
  /** What was left out and why, for the user. */
  notes: string[]
}

const STATIC_EXTENSIONS = /\.(png|jpe?g|gif|svg|ico|webp|avif|bmp|woff2?|ttf|otf|eot|css|js|mjs|map)$/i
const STATIC_MIME = /^(image\/|font\/|text\/css|(text|application)\/(x-)?javascript)/i
const AUTH_HEADERS = new Set(['cookie', 'authorization', 'proxy-authorization'])
// Written by LoadLab itself (Host, lengths), meaningless on replay (HTTP/2 pseudo headers,
// connection management), or turning a load test into a cache test (conditional requests: every
// answer a 304) - and accept-encoding, so checks read plain bodies.
const DROPPED_HEADERS = new Set([
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'accept-encoding',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
])

type HarEntry = z.infer<typeof harSchema>['log']['entries'][number]

function isStatic(e: HarEntry, url: URL): boolean {
  return STATIC_EXTENSIONS.test(url.pathname) || STATIC_MIME.test(e.response?.content?.mimeType ?? '')
}

function opName(method: string, pathname: string, taken: Set<string>): string {
  const base = `${method.toLowerCase()}_${pathname.replace(/^\/+|\/+$/g, '').replace(/[^A-Za-z0-9_.-]+/g, '_') || 'root'}`.slice(0, 80)
  let name = base
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`
  taken.add(name)
  return name
}

/** Parses a HAR text and builds the scenario; throws HarImportError (exit 2) naming `file` for anything that is not a usable recording. */
export function importHar(text: string, file: string, opts: HarImportOptions): HarImportResult {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new HarImportError(`${file} is not JSON (${(error as Error).message}); export the recording as HAR from the browser's network panel or your proxy`)
  }
  const parsed = harSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new HarImportError(`${file} is not a HAR recording: ${issue.path.join('.') || '(top level)'}: ${issue.message}`)
  }
  const notes: string[] = []
  const entries = parsed.data.log.entries.flatMap((e) => {
    try {
      const url = new URL(e.request.url)
      return url.protocol === 'http:' || url.protocol === 'https:' ? [{ e, url }] : []
    } catch {
      return []
    }
  })
  if (entries.length === 0) throw new HarImportError(`${file} has no http(s) requests to import`)

  const kept = opts.includeStatic ? entries : entries.filter(({ e, url }) => !isStatic(e, url))
  const staticCount = entries.length - kept.length
  if (staticCount > 0) notes.push(`${staticCount} static asset request(s) (images, fonts, css, js) left out; --include-static keeps them`)
  if (kept.length === 0) throw new HarImportError(`${file} holds only static assets; use --include-static to load-test them`)

  const byOrigin = new Map<string, number>()
  for (const { url } of kept) byOrigin.set(url.origin, (byOrigin.get(url.origin) ?? 0) + 1)
  const origin = [...byOrigin].sort((a, b) => b[1] - a[1])[0]![0]
  const sameOrigin = kept.filter(({ url }) => url.origin === origin)
  if (sameOrigin.length < kept.length)
    notes.push(
      `${kept.length - sameOrigin.length} request(s) to other origins (${[...byOrigin.keys()].filter((o) => o !== origin).join(', ')}) left out: a scenario has one target`,
    )

  const groups = new Map<string, { first: HarEntry; url: URL; count: number }>()
  for (const { e, url } of sameOrigin) {
    const key = `${e.request.method.toUpperCase()} ${url.pathname}`
    const g = groups.get(key)
    if (g) g.count++
    else groups.set(key, { first: e, url, count: 1 })
  }

  let authDropped = 0
  const taken = new Set<string>()
  const requests = [...groups.values()].map(({ first, url, count }) => {
    const method = first.request.method.toUpperCase()
    const headers: Record<string, string> = {}
    for (const h of first.request.headers) {
      const name = h.name.toLowerCase()
      if (name.startsWith(':') || DROPPED_HEADERS.has(name)) continue
      if (AUTH_HEADERS.has(name) && !opts.keepAuth) {
        authDropped++
        continue
      }
      // A header sent twice (cookies from a proxy) is joined as HTTP allows.
      headers[name] = headers[name] === undefined ? h.value : `${headers[name]}${name === 'cookie' ? '; ' : ', '}${h.value}`
    }
    const query: Record<string, string> = {}
    for (const [k, v] of url.searchParams) query[k] = v
    const r: Record<string, unknown> = { name: opName(method, url.pathname, taken), method, path: url.pathname }
    if (Object.keys(query).length > 0) r.query = query
    const body = first.request.postData?.text
    if (body !== undefined && body !== '') {
      let json: unknown
      if (/json/i.test(first.request.postData?.mimeType ?? '')) {
        try {
          json = JSON.parse(body)
        } catch {
          json = undefined
        }
      }
      if (json !== undefined) {
        delete headers['content-type']
        r.json = json
      } else {
        headers['content-type'] ??= first.request.postData?.mimeType || 'application/octet-stream'
        r.body = body
      }
    }
    if (Object.keys(headers).length > 0) r.headers = headers
    r.weight = count
    const status = first.response?.status ?? 0
    if (status >= 200 && status < 400) r.check = { status }
    return r
  })
  if (authDropped > 0) notes.push(`${authDropped} cookie/authorization header(s) left out; --keep-auth keeps them (a recorded session may have expired)`)

  const target = origin
  const loopback = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(origin)
  if (!loopback)
    notes.push(`target ${origin} is not on this machine: LoadLab only loads loopback addresses; point \`target\` at a local copy of the service before running`)
  const scenario = {
    name: opts.name,
    kind: 'performance',
    description: `Imported from ${file}: ${requests.length} request(s), weighted by how often the recording made them`,
    target,
    http: { requests },
    load: { model: 'open', rate: 10, durationS: 30, maxInFlight: 64 },
    thresholds: { http_req_failed: ['rate<0.01'], checks: ['rate>0.99'] },
  }
  if (!requests.some((r) => r.check)) delete (scenario.thresholds as Record<string, unknown>).checks
  const text2 = `import { defineScenario } from ${JSON.stringify(opts.defineScenarioImport)}

// Imported by \`loadlab import har\` from ${file}. Adjust the load (rate, duration) and the
// thresholds to what the service must sustain; add flows with \`extract\` where one request
// needs a value from another's response.
export default defineScenario(${JSON.stringify(scenario, null, 2)})
`
  return { text: text2, target, requests: requests.length, notes }
}
