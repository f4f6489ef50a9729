import fc from 'fast-check'
import { TEST_ADMIN_TOKEN } from './sut-processes.js'

// fast-check generators of hostile requests to the CRM: what a fuzzer, a broken client or an
// attacker sends. Two kinds:
// - `HttpCase`: well-formed HTTP (sent with undici) with hostile content: bad ids, cursors and
//   limits, odd methods, unicode, JSON of the wrong shape, wrong types, huge numbers, deep nesting,
//   prototype keys, wrong content types, admin calls with and without the token.
// - `RawCase`: bytes no HTTP client would send (sent on a raw socket): bad request lines,
//   duplicate or conflicting headers, oversized headers, lying Content-Length, broken chunking.
// Every case is complete: a request that stops half way is the client waiting on itself, not the
// server hanging, so a lying Content-Length always claims more than any route takes (a server
// may then answer at once without reading).

export interface HttpCase {
  kind: 'http'
  method: string
  path: string
  headers: Record<string, string>
  body?: string
}

export interface RawCase {
  kind: 'raw'
  bytes: string
}

export type HostileCase = HttpCase | RawCase

/** Larger than every route's body limit (4 MiB for bulk seeding). */
const OVER_EVERY_LIMIT = 4 * 1024 * 1024 + 1

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const validLookingId = fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 26, maxLength: 26 }).map((s) => `cus_${s}`)

export const nastyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  // '${jndi:ldap://x}': a log-injection probe, sent as literal text.
  fc.constantFrom(
    '',
    ' ',
    '..',
    '../..',
    '%00',
    '%',
    '%%',
    '%E0%A4%A',
    '\u202e',
    '\u0000',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    '${jndi:ldap://x}',
    "' OR 1=1 --",
    '<script>',
    'x'.repeat(5000),
  ),
)

export const customerId = fc.oneof(
  validLookingId,
  nastyText.map((t) => encodeURIComponent(t)),
  fc.constantFrom('cus_', 'cus_0000000000000000000000000', 'CUS_0000000000AAAAAAAAAAAAAAAA', 'con_0000000000aaaaaaaaaaaaaaaa'),
)

const queryValue = fc.oneof(
  nastyText.map((t) => encodeURIComponent(t)),
  fc.constantFrom(
    '-1',
    '0',
    '1',
    '100',
    '101',
    '1e3',
    '1.5',
    'NaN',
    'Infinity',
    '9'.repeat(400),
    '0x10',
    '',
    'true',
    '%',
    'bm90LWpzb24',
    'eyJuIjoxfQ',
    'W10',
    'eyJrIjoiYSIsImlkIjoiY3VzXzAwIn0',
  ),
)

export const query = fc
  .array(fc.tuple(fc.constantFrom('q', 'limit', 'cursor', 'open', 'q[]', 'limit[a]', '__proto__', ''), queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`))

export const path = fc.oneof(
  fc.tuple(fc.constantFrom('/customers', '/customers/', '/customers//', '/CUSTOMERS'), query).map(([p, q]) => p + q),
  fc
    .tuple(customerId, fc.constantFrom('', '/360', '/contacts', '/deals', '/activities', '/unknown', '/360/x'), query)
    .map(([id, tail, q]) => `/customers/${id}${tail}${q}`),
  fc.constantFrom(
    '/',
    '/health',
    '/ready',
    '/metrics',
    '/admin',
    '/admin/customers/bulk',
    '/admin/slowdown',
    '/admin/unknown',
    '/ADMIN/slowdown',
    '//admin/slowdown',
    '/%61dmin/slowdown',
    '/./admin/slowdown',
    '/../customers',
    '/customers/../admin/slowdown',
    '/favicon.ico',
  ),
  nastyText.map((t) => `/${encodeURIComponent(t)}`),
)

/** Values of the wrong type for any field, and those that break naive parsers and validators. */
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(1e308, -1e308, 5e-324, -0, Number.MAX_SAFE_INTEGER + 2, 2 ** 53, '9'.repeat(500), true, false, null, [], {}, [null], { a: 1 }, '', 'null'),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 12 }),
)

/** JSON of any shape, for whole bodies. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue({ maxDepth: 3 }), jsonValue)

export const customerShape = fc.record(
  {
    name: fc.oneof(jsonValue, nastyText),
    email: fc.oneof(jsonValue, nastyText, fc.constantFrom('a@b.co', 'A@B.CO', 'x@y', '@', 'a@b.co\u0000')),
    company: fc.oneof(jsonValue, nastyText),
    segment: fc.oneof(jsonValue, fc.constantFrom('smb', 'mid-market', 'enterprise', 'SMB', '')),
    createdAt: fc.oneof(
      jsonValue,
      fc.constantFrom(
        '1969-12-31T23:59:59Z',
        '1970-01-01T00:00:00Z',
        '0000-01-01T00:00:00Z',
        '9999-12-31T23:59:59Z',
        '2025-02-30T00:00:00Z',
        'not a date',
        '2025-01-01T00:00:00+99:00',
      ),
    ),
    title: fc.oneof(jsonValue, nastyText),
    amount: fc.oneof(jsonValue, fc.double()),
    stage: fc.oneof(jsonValue, fc.constantFrom('lead', 'won', 'maybe')),
    type: fc.oneof(jsonValue, fc.constantFrom('call', 'party')),
    at: fc.oneof(jsonValue, fc.constantFrom('2025-01-01T00:00:00Z', 'yesterday')),
    factor: fc.oneof(jsonValue, fc.double(), fc.constantFrom(0, -1, 1, 1000, 1001)),
    __proto__: jsonValue,
    constructor: jsonValue,
  },
  { requiredKeys: [] },
)

export const body = fc.oneof(
  { weight: 4, arbitrary: customerShape.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.array(customerShape, { maxLength: 3 }).map((customers) => JSON.stringify({ customers })) },
  { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? 'null') },
  // Deeper than any route takes (8), far from the limits' sizes: the depth check, not the size, must refuse them.
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '{',
      '{"a":1,}',
      '\u0000\u0001',
      '\ufeff{}',
      'null',
      '"text"',
      '{"__proto__":{"admin":true}}',
      `{"customers":[${'1,'.repeat(6000)}1]}`,
      'x'.repeat(70 * 1024),
    ),
  },
)

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json, text/plain',
  '',
)

export const httpCase: fc.Arbitrary<HttpCase> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS'),
    path,
    body: fc.option(body, { nil: undefined }),
    contentType,
    token: fc.constantFrom('valid', 'none', 'wrong'),
    cacheControl: fc.constantFrom(undefined, 'no-cache', 'no-store, no-cache', 'max-age=-1'),
    origin: fc.constantFrom(undefined, 'http://evil.example', 'null'),
  })
  .map(({ method, path: p, body: b, contentType: ct, token, cacheControl, origin }) => {
    const headers: Record<string, string> = {}
    if (ct !== '' && b !== undefined) headers['content-type'] = ct
    if (token !== 'none') headers.authorization = `Bearer ${token === 'valid' ? TEST_ADMIN_TOKEN : 'x'.repeat(TEST_ADMIN_TOKEN.length)}`
    if (cacheControl !== undefined) headers['cache-control'] = cacheControl
    if (origin !== undefined) headers.origin = origin
    // undici refuses a body on GET/HEAD; those go raw.
    const sendsBody = b !== undefined && method !== 'GET' && method !== 'HEAD'
    return { kind: 'http', method, path: p, headers, ...(sendsBody ? { body: b } : {}) }
  })

export const requestLine = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'get', 'BREW', 'G\u00c9T'), path)
      .map(([m, p]) => `${m} ${p} HTTP/1.1`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'GET * HTTP/1.1',
      'OPTIONS * HTTP/1.1',
      'GET http://127.0.0.1/customers HTTP/1.1',
      'GET //customers HTTP/1.1',
      'GET /customers HTTP/1.0',
      'GET /customers HTTP/2.0',
      'GET /customers HTTP/9.9',
      'GET /customers',
      'GET  /customers  HTTP/1.1',
      'GET /cust omers HTTP/1.1',
      'GET /customers\u0000 HTTP/1.1',
      'GET /customers/\u00ff HTTP/1.1',
      ' GET /customers HTTP/1.1',
      'GET /customers HTTP/1.1 extra',
      'PRI * HTTP/2.0',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((s) => s.replace(/\r|\n/g, ' ')) },
)

export const header = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'Host: evil.example',
      'Host: 127.0.0.1',
      'Host:',
      'Host: a b',
      'Content-Length: -1',
      'Content-Length: abc',
      'Content-Length: 1, 2',
      'Content-Length: 0',
      'Transfer-Encoding: gzip',
      'Transfer-Encoding: chunked, gzip',
      'Transfer-Encoding: identity',
      'Expect: 100-continue',
      'Expect: 999-nope',
      'Connection: upgrade',
      'Upgrade: websocket',
      'Connection: keep-alive, close',
      'Content-Type: application/json',
      'Content-Type: text/plain',
      'Content-Encoding: gzip',
      'Cache-Control: no-cache',
      `Authorization: Bearer ${TEST_ADMIN_TOKEN}`,
      'Authorization: Basic Og==',
      'X-Forwarded-For: 1.2.3.4',
      'X-Dependency-Unavailable: shard-0',
      ' folded: continuation',
      'No-Colon-Header',
      ': empty-name',
      'Bad Name: x',
      'X-Nul: a\u0000b',
      'X-Latin: caf\u00e9',
      'X-Bidi: \u202egnp.exe',
    ),
  },
  // Just under and over Node's 16 KiB limit for all headers together.
  { weight: 1, arbitrary: fc.constantFrom(8, 15, 17).map((kib) => `X-Big: ${'a'.repeat(kib * 1024)}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.stringMatching(/^[A-Za-z-]{1,20}$/), fc.string({ unit: 'binary-ascii', maxLength: 30 }))
      .map(([n, v]) => `${n}: ${v.replace(/\r|\n/g, '')}`),
  },
)

/** How the body is framed: honest Content-Length, a Content-Length over every limit with a short body, chunked (sometimes broken), or nothing. */
const framing = fc.oneof(
  fc.constant({ kind: 'length' as const }),
  fc.integer({ min: OVER_EVERY_LIMIT, max: 2 ** 31 }).map((claimed) => ({ kind: 'lying' as const, claimed })),
  fc.constantFrom('chunked', 'chunked-bad-size', 'chunked-and-length').map((kind) => ({ kind })),
  fc.constant({ kind: 'none' as const }),
)

export const rawCase: fc.Arbitrary<RawCase> = fc
  .record({
    line: requestLine,
    hosts: fc.constantFrom(0, 1, 1, 1, 2),
    headers: fc.array(header, { maxLength: 5 }),
    manyHeaders: fc.constantFrom(0, 0, 0, 150),
    body: fc.option(body, { nil: undefined }),
    framing,
  })
  .map(({ line, hosts, headers, manyHeaders, body: b, framing: f }) => {
    const lines = [line]
    for (let i = 0; i < hosts; i++) lines.push(i === 0 ? 'Host: 127.0.0.1' : 'Host: other.example')
    lines.push(...headers)
    for (let i = 0; i < manyHeaders; i++) lines.push(`X-Many-${i}: ${i}`)
    lines.push('Connection: close')
    const payload = b ?? ''
    let tail = ''
    switch (f.kind) {
      case 'length':
        if (b !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(payload)}`)
        tail = payload
        break
      case 'lying':
        lines.push(`Content-Length: ${f.claimed}`)
        tail = payload.slice(0, 64)
        break
      case 'chunked':
        lines.push('Transfer-Encoding: chunked')
        tail = `${payload === '' ? '' : `${Buffer.byteLength(payload).toString(16)}\r\n${payload}\r\n`}0\r\n\r\n`
        break
      case 'chunked-bad-size':
        lines.push('Transfer-Encoding: chunked')
        tail = `zz\r\n${payload}\r\n0\r\n\r\n`
        break
      case 'chunked-and-length':
        lines.push('Transfer-Encoding: chunked', `Content-Length: ${Buffer.byteLength(payload)}`)
        tail = `${Buffer.byteLength(payload).toString(16)}\r\n${payload}\r\n0\r\n\r\n`
        break
      case 'none':
        break
    }
    return { kind: 'raw', bytes: `${lines.join('\r\n')}\r\n\r\n${tail}` }
  })

export const hostileCase: fc.Arbitrary<HostileCase> = fc.oneof(httpCase, rawCase)

/** A short description of a case for failure messages. */
export function describeCase(c: HostileCase): string {
  const text = c.kind === 'http' ? `${c.method} ${c.path} ${JSON.stringify(c.headers)} body=${(c.body ?? '').slice(0, 200)}` : c.bytes.slice(0, 400)
  return `${c.kind}: ${JSON.stringify(text)}`
}
