import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { send } from './support/balancer-http.js'
import { rawRequest } from './support/raw-http.js'
import { startReplicaStack, type ReplicaStack } from './support/replica-stack.js'
import { TEST_ADMIN_TOKEN } from './support/sut-processes.js'

// Bad input found by a hostile probe: each must be a 4xx naming the problem, at once, never a 500
// or a request left hanging. Before: a createdAt before 1970 was a 500 (RangeError in the id
// encoder), a Content-Length of 200 MB with a 2-byte body hung for 300 s waiting for the rest,
// and a 16 MB nested body blocked the event loop for seconds.

let stack: ReplicaStack

beforeAll(async () => {
  stack = await startReplicaStack()
})

afterAll(async () => {
  await stack.close()
})

const seed = (createdAt: string, tag: string) => ({ name: 'Old Timer', email: `old-${tag}@example.com`, company: 'Past', segment: 'smb', createdAt })

/** A request whose body is `body` but whose head says what the test wants (a lying Content-Length, chunked, ...). */
function post(path: string, headers: Record<string, string>, body: string, timeoutMs = 10_000) {
  const head = Object.entries({ host: '127.0.0.1', authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json', ...headers })
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n')
  return rawRequest(stack.url, `POST ${path} HTTP/1.1\r\n${head}\r\n\r\n${body}`, timeoutMs)
}

describe('bad input to the replica', () => {
  it('refuses a seeded createdAt before 1970 with 400 naming the field', async () => {
    const reply = await send(stack.url, '/admin/customers/bulk', {
      method: 'POST',
      body: { customers: [seed('2020-01-01T00:00:00Z', 'a'), seed('1969-12-31T23:59:59Z', 'b')] },
    })
    expect(reply.status, JSON.stringify(reply.body)).toBe(400)
    expect(reply.body).toMatchObject({
      error: { code: 'validation_failed', details: [{ field: 'customers.1.createdAt', message: expect.stringContaining('1970') }] },
    })
    // An offset that puts the instant before 1970 is refused too; the epoch itself is fine.
    expect((await send(stack.url, '/admin/customers/bulk', { method: 'POST', body: { customers: [seed('1970-01-01T00:30:00+01:00', 'c')] } })).status).toBe(400)
    expect((await send(stack.url, '/admin/customers/bulk', { method: 'POST', body: { customers: [seed('1970-01-01T00:00:00Z', 'd')] } })).status).toBe(201)
  })

  it('answers 413 at once to a Content-Length over the limit, without waiting for the body, and closes the connection', async () => {
    for (const path of ['/customers', '/admin/customers/bulk', '/admin/slowdown']) {
      const reply = await post(path, { 'content-length': '209715200' }, '{}')
      // Before the fix no answer came until the server's 300 s request timeout.
      expect(reply.timedOut, path).toBe(false)
      expect(reply.status, `${path}: ${reply.body}`).toBe(413)
      expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'payload_too_large' } })
      expect(reply.headers.connection).toBe('close')
    }
  })

  it('answers 413 as soon as a chunked body passes the limit, though the client has not finished', async () => {
    const chunk = 'a'.repeat(70 * 1024)
    // 70 KiB of a never-ending chunked body to a route that takes 64 KiB.
    const reply = await post('/customers', { 'transfer-encoding': 'chunked' }, `${chunk.length.toString(16)}\r\n${chunk}\r\n`)
    expect(reply.timedOut).toBe(false)
    expect(reply.status).toBe(413)
  })

  it('refuses a body nested deeper than the route takes with 400, and a 16 MB one by its size', async () => {
    const nested = (depth: number) => `{"customers":${'['.repeat(depth)}${']'.repeat(depth)}}`
    const deep = await post('/admin/customers/bulk', { 'content-length': String(nested(1_000_000).length) }, nested(1_000_000))
    expect(deep.status, deep.body).toBe(400)
    expect(JSON.parse(deep.body)).toMatchObject({ error: { code: 'validation_failed', message: expect.stringContaining('nested deeper than 4') } })
    const huge = nested(8 * 1024 * 1024)
    const tooBig = await post('/admin/customers/bulk', { 'content-length': String(huge.length) }, huge)
    expect(tooBig.status).toBe(413)
    // Depth inside strings does not count.
    const flat = await send(stack.url, '/customers', {
      method: 'POST',
      body: { name: '[[[[[[[[[[[[[[[[[[[[', email: 'brackets@example.com', company: '{{{{{{{{{{{{', segment: 'smb' },
    })
    expect(flat.status).toBe(201)
    expect(
      (
        await send(stack.url, '/customers', {
          method: 'POST',
          body: { name: { a: { b: { c: { d: { e: { f: { g: { h: {} } } } } } } } }, email: 'x@example.com', company: 'c', segment: 'smb' },
        })
      ).status,
    ).toBe(400)
  })

  it('refuses a compressed or non-UTF-8 body with 415 rather than inflating it', async () => {
    expect((await post('/customers', { 'content-encoding': 'gzip', 'content-length': '2' }, '{}')).status).toBe(415)
    expect((await post('/customers', { 'content-type': 'application/json; charset=utf-16', 'content-length': '2' }, '{}')).status).toBe(415)
    expect((await post('/customers', { 'content-type': 'application/json; charset=UTF-8', 'content-length': '2' }, '{}')).status).toBe(400)
  })
})
