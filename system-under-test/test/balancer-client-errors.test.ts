import { afterEach, describe, expect, it } from 'vitest'
import type { BalancerSnapshot } from '../src/balancer/balancer-control.js'
import { launchBalancer } from '../src/balancer/launch-balancer.js'
import type { RunningBalancer } from '../src/balancer/start-balancer.js'
import { closeAll, startStubBackends, type StubBackend } from './support/balancer-stub-backend.js'
import { send } from './support/balancer-http.js'
import { rawRequest } from './support/raw-http.js'
import { TEST_ADMIN_TOKEN } from './support/sut-processes.js'

// A request the client got wrong is the client's error: every engine answers it itself (400), or
// refuses what is not the public CRM API (404 for /admin), and never counts it against a backend.
// Before, three `GET *` through the built-in balancer ejected both healthy backends.

let stubs: StubBackend[] = []
let balancer: RunningBalancer | null = null

afterEach(async () => {
  await balancer?.close()
  balancer = null
  await closeAll(stubs)
  stubs = []
})

const BAD_REQUESTS: Record<string, string> = {
  'asterisk target': 'GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'two Host headers': 'GET /customers HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n',
}
// RFC 9112 3.2 wants a 400 here too; HAProxy merges two equal Host lines into one instead and
// forwards a well-formed request. Either way the backend is not blamed.
const TWO_EQUAL_HOSTS = 'GET /customers HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n'

// Spellings of the replicas' admin routes a client might try on the public port.
const ADMIN_PATHS = ['/admin/slowdown', '/ADMIN/slowdown', '//admin/slowdown', '/./admin/slowdown', '/%61dmin/slowdown', '/admin', '/Admin/customers/bulk?x=1']

for (const engine of ['builtin', 'haproxy', 'nginx'] as const) {
  describe(`${engine} balancer: client errors`, () => {
    async function start(): Promise<RunningBalancer> {
      stubs = await startStubBackends(2)
      balancer = await launchBalancer({
        engine,
        strategy: 'round-robin',
        backends: stubs.map((s) => s.url),
        // Ejection after 2 consecutive failures, for a long time: any blame would show.
        ejectAfter: 2,
        ejectMs: 60_000,
        healthIntervalMs: 1000,
        healthTimeoutMs: 5000,
        adminToken: TEST_ADMIN_TOKEN,
      })
      return balancer
    }

    it('answers malformed requests 400 itself, never reaching or blaming a backend', async () => {
      const lb = await start()
      for (const [what, head] of Object.entries(BAD_REQUESTS)) {
        for (let i = 0; i < 4; i++) {
          const answer = await rawRequest(lb.url, head)
          expect(answer.status, `${what} #${i + 1}: ${answer.body}`).toBe(400)
          expect(answer.timedOut).toBe(false)
        }
      }
      expect(stubs.map((s) => s.served)).toEqual([0, 0])
      const equalHosts = engine === 'haproxy' ? 4 : 0
      for (let i = 0; i < 4; i++) expect((await rawRequest(lb.url, TWO_EQUAL_HOSTS)).status).toBe(engine === 'haproxy' ? 200 : 400)
      const state = (await send(lb.adminUrl, '/admin/backends')).body as BalancerSnapshot
      for (const backend of state.backends) expect(backend, backend.url).toMatchObject({ up: true, errors: 0, ejected: false })
      // Normal traffic still reaches both backends.
      const served = []
      for (let i = 0; i < 6; i++) served.push((await send(lb.url, '/customers')).status)
      expect(served).toEqual([200, 200, 200, 200, 200, 200])
      expect(stubs[0]!.served + stubs[1]!.served).toBe(6 + equalHosts)
      expect(stubs.every((s) => s.served >= 3)).toBe(true)
    })

    it('answers a declared body over --max-body-bytes 413 at once, though the client sends 2 bytes or none', async () => {
      const lb = await start()
      for (const request of [
        'POST /customers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 209715200\r\n\r\n{}',
        'GET /customers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 209715200\r\n\r\n',
      ]) {
        // Before, the built-in balancer forwarded nothing until the body came, and the client waited for ever.
        const answer = await rawRequest(lb.url, request)
        expect(answer.timedOut, request).toBe(false)
        expect(answer.status, `${request}: ${answer.body}`).toBe(413)
      }
      expect(stubs.map((s) => s.served)).toEqual([0, 0])
      const state = (await send(lb.adminUrl, '/admin/backends')).body as BalancerSnapshot
      for (const backend of state.backends) expect(backend, backend.url).toMatchObject({ up: true, errors: 0 })
    })

    it('proxies the public API only: /admin in any spelling is a 404 that reaches no backend', async () => {
      const lb = await start()
      const body = '{"factor":50}'
      for (const path of ADMIN_PATHS) {
        const answer = await rawRequest(
          lb.url,
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        )
        expect(answer.status, path).toBe(404)
        expect(JSON.parse(answer.body), path).toMatchObject({ error: { code: 'route_not_found' } })
      }
      expect(stubs.map((s) => s.served)).toEqual([0, 0])
      // A path that merely contains the word is public API and is proxied.
      expect((await send(lb.url, '/customers?q=admin')).status).toBe(200)
    })
  })
}

describe('builtin balancer: a request undici cannot forward', () => {
  it('is a 400 that does not count against the backend', async () => {
    stubs = await startStubBackends(1)
    balancer = await launchBalancer({
      engine: 'builtin',
      strategy: 'round-robin',
      backends: stubs.map((s) => s.url),
      ejectAfter: 1,
      ejectMs: 60_000,
      adminToken: TEST_ADMIN_TOKEN,
    })
    // An absolute-form target: Node accepts it, but it is no path to forward.
    const absolute = await rawRequest(balancer.url, 'GET http://127.0.0.1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    expect(absolute.status).toBe(400)
    const state = (await send(balancer.adminUrl, '/admin/backends')).body as BalancerSnapshot
    expect(state.backends[0]).toMatchObject({ up: true, errors: 0 })
  })
})
