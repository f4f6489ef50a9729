import { describe, expect, it } from 'vitest'
import { HttpIteration, HttpRequestStream } from './http-request-stream.js'
import type { HttpWorkload } from './http-workload.js'

const rows = [{ id: 'a b' }, { id: 'c' }, { id: 'd' }, { id: 'e' }]

function stream(w: Partial<HttpWorkload>, index = 0, count = 1): HttpRequestStream {
  return new HttpRequestStream({ flows: [], data: {}, env: {}, ...w } as HttpWorkload, { host: '127.0.0.1:9', seed: 1, segment: { index, count } })
}

function begin(s: HttpRequestStream): HttpIteration {
  const it = s.begin()
  if (!(it instanceof HttpIteration)) throw new Error(it.error)
  return it
}

describe('HTTP request stream', () => {
  it('renders templates: path values URL-encoded, header values on one line, JSON strings escaped', () => {
    const s = stream({
      data: { users: { file: 'u.csv', order: 'sequential', rows, rowCount: rows.length } },
      env: { KEY: 'k\r\nX-Injected: 1' },
      flows: [
        {
          name: 'f',
          weight: 1,
          steps: [
            {
              name: 'f',
              method: 'POST',
              path: '/u/${users.id}',
              query: { q: '${users.id}&x' },
              headers: { 'x-key': '${env.KEY}' },
              json: { id: '${users.id}', quote: 'say "${users.id}"' },
            },
          ],
        },
      ],
    })
    const payload = begin(s).current.payload
    const [head, body] = payload.split('\r\n\r\n')
    expect(head!.split('\r\n')[0]).toBe('POST /u/a%20b?q=a%20b%26x HTTP/1.1')
    expect(head).toContain('x-key: k X-Injected: 1')
    expect(head).not.toMatch(/\r\nX-Injected/)
    expect(JSON.parse(body!)).toEqual({ id: 'a b', quote: 'say "a b"' })
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body!)}`)
  })

  it('agents share sequential and unique rows and seq numbers without overlap', () => {
    const w = {
      data: { users: { file: 'u.csv', order: 'unique' as const, rows, rowCount: rows.length } },
      flows: [{ name: 'f', weight: 1, steps: [{ name: 'f', method: 'GET', path: '/${users.id}/${seq}' }] }],
    }
    const paths = (index: number): string[] => {
      const s = stream(w, index, 2)
      const out: string[] = []
      for (;;) {
        const it = s.begin()
        if (!(it instanceof HttpIteration)) {
          expect(it.error).toBe('data "users" used up (unique rows)')
          return out
        }
        out.push(it.current.payload.split(' ')[1]!)
      }
    }
    expect(paths(0)).toEqual(['/a%20b/0', '/d/2'])
    expect(paths(1)).toEqual(['/c/1', '/e/3'])
  })

  it('extracts a value for the next step; a failed extraction ends the iteration as a failed check', () => {
    const w = {
      flows: [
        {
          name: 'login',
          weight: 1,
          steps: [
            {
              name: 'login',
              method: 'POST',
              path: '/login',
              extract: { token: { json: '$.auth.token' }, loc: { header: 'Location' } },
              check: { status: [200] },
            },
            { name: 'me', method: 'GET', path: '/me', headers: { authorization: 'Bearer ${token}' }, query: { from: '${loc}' } },
          ],
        },
      ],
    }
    const it = begin(stream(w))
    const ok = it.respond(200, '{"auth":{"token":"T1"}}', ['Location', '/home'])
    expect(ok).toMatchObject({ checksPassed: 1, checksFailed: 0 })
    expect(ok.next?.payload).toContain('authorization: Bearer T1')
    expect(ok.next?.payload).toContain('GET /me?from=%2Fhome ')
    expect(it.respond(200, 'fine', undefined).next).toBeNull()

    const broken = begin(stream(w)).respond(500, '{"error":"down"}', [])
    expect(broken.next).toBeNull()
    expect(broken.failures.map((f) => f.check)).toEqual(['status is 200', 'extract token from $.auth.token', 'extract loc from header Location'])
    expect(broken.failures[0]).toMatchObject({ op: 'login', status: 500, body: '{"error":"down"}' })
  })

  it('checks: json path exists and equals, body contains; no response fails every condition', () => {
    const w = {
      flows: [
        {
          name: 'c',
          weight: 1,
          steps: [{ name: 'c', method: 'GET', path: '/', check: { bodyContains: 'ok', json: [{ path: '$.n' }, { path: '$.state', equals: 'ok' }] } }],
        },
      ],
    }
    expect(begin(stream(w)).respond(200, '{"n":0,"state":"ok"}', undefined)).toMatchObject({ checksPassed: 3, checksFailed: 0 })
    expect(begin(stream(w)).respond(200, '{"state":"bad"}', undefined)).toMatchObject({ checksPassed: 0, checksFailed: 3 })
    expect(begin(stream(w)).respond(0, undefined, undefined)).toMatchObject({ checksPassed: 0, checksFailed: 3, next: null })
  })

  it('flows are drawn by weight', () => {
    const s = stream({
      flows: [
        { name: 'a', weight: 3, steps: [{ name: 'a', method: 'GET', path: '/a' }] },
        { name: 'b', weight: 1, steps: [{ name: 'b', method: 'GET', path: '/b' }] },
      ],
    })
    let a = 0
    for (let i = 0; i < 4000; i++) if (begin(s).current.op === 'a') a++
    expect(a / 4000).toBeGreaterThan(0.7)
    expect(a / 4000).toBeLessThan(0.8)
  })
})
