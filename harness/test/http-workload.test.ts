import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createEngine } from '../src/engines/engine-registry.js'
import { runSuite } from '../src/runner/run-suite.js'
import { validateScenario } from '../src/scenario/validate-scenario.js'
import type { SuiteResult } from '../src/results/results-schema.js'
import { runLoadlab } from './support/run-fixtures.js'

// HTTP scenarios end to end against a plain node:http server written here: nothing seeded, no
// LoadLab endpoint, the user's requests and flows only. Engines run in this process (the CLI
// test at the end goes through load agents), with short bounded load to 127.0.0.1.

interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
  at: number
}

async function serve(handler: (req: Seen, res: http.ServerResponse) => void): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() }
      seen.push(s)
      handler(s, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-http-'))
const servers: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let runs = 0
async function run(scenario: unknown, file = path.join(dir, 'scenario.ts')): Promise<SuiteResult> {
  const s = validateScenario(scenario, file)
  const { suite } = await runSuite(s, { outDir: path.join(dir, `out-${++runs}`), engineFactory: (name) => createEngine(name) })
  return suite
}

describe('HTTP scenarios against a plain node:http server', () => {
  it('two requests: both measured under their names, thresholds by op, nothing else sent', async () => {
    const srv = await serve((req, res) => res.end(req.url === '/' ? 'home' : JSON.stringify({ id: 7 })))
    servers.push(srv)
    const suite = await run({
      name: 'two-requests',
      kind: 'performance',
      target: srv.url,
      http: {
        requests: [
          { name: 'home', path: '/', check: { status: 200, bodyContains: 'home' } },
          { name: 'item', path: '/items/${randomInt(1,3)}', query: { view: 'full' }, weight: 3, check: { json: [{ path: '$.id', equals: 7 }] } },
        ],
      },
      load: { model: 'open', rate: 40, durationS: 2 },
      thresholds: { 'http_req_duration{op:home}': ['p(95)<5000'], 'http_reqs{op:item}': ['count>0'], checks: ['rate==1'] },
    })
    const r = suite.runs[0]!
    expect(r.status, r.error).toBe('ok')
    expect(Object.keys(r.perOperation).sort()).toEqual(['home', 'item'])
    expect(r.perOperation.item!.http_reqs.count).toBeGreaterThan(r.perOperation.home!.http_reqs.count)
    expect(r.metrics.checks).toMatchObject({ rate: 1, fails: 0 })
    expect(suite.gates?.thresholds.every((t) => t.passed)).toBe(true)
    expect(suite.verdict.exitCode).toBe(0)
    // No seeding, no /health, no /metrics: only the scenario's own requests reached the server.
    for (const s of srv.seen) expect(s.url).toMatch(/^\/$|^\/items\/[123]\?view=full$/)
  })

  it('a threshold on an op the scenario does not have is refused before anything runs, listing its requests', async () => {
    const srv = await serve((_req, res) => res.end('ok'))
    servers.push(srv)
    const s = validateScenario(
      {
        name: 'typo',
        kind: 'performance',
        target: srv.url,
        http: { requests: [{ name: 'home', path: '/' }] },
        load: { model: 'open', rate: 5, durationS: 1 },
        thresholds: { 'http_req_duration{op:hom}': ['p(95)<100'] },
      },
      path.join(dir, 'typo.ts'),
    )
    const error = await runSuite(s, { outDir: path.join(dir, 'typo-out'), engineFactory: (name) => createEngine(name) }).catch((e: unknown) => e as Error)
    expect((error as Error).message).toMatch(/unknown op "hom"; requests and steps: home/)
    expect(srv.seen).toEqual([])
  })

  it('a flow logs in, extracts the token and sends it in the next step (closed model, think time)', async () => {
    const issued = new Set<string>()
    let n = 0
    const srv = await serve((req, res) => {
      if (req.url === '/login') {
        const token = `t${++n}`
        issued.add(token)
        res.setHeader('content-type', 'application/json')
        return res.end(JSON.stringify({ token }))
      }
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      res.statusCode = auth && issued.has(auth) ? 200 : 401
      res.end(res.statusCode === 200 ? `hello ${auth}` : 'who are you?')
    })
    servers.push(srv)
    const suite = await run({
      name: 'login-flow',
      kind: 'performance',
      target: srv.url,
      http: {
        flows: [
          {
            name: 'journey',
            steps: [
              {
                name: 'login',
                method: 'POST',
                path: '/login',
                json: { user: 'u${seq}' },
                extract: { token: { json: '$.token' } },
                thinkMs: { min: 1, max: 5 },
              },
              { name: 'profile', path: '/me', headers: { authorization: 'Bearer ${token}' }, check: { status: 200 } },
            ],
          },
        ],
      },
      load: { model: 'closed', connections: 2, durationS: 2 },
    })
    const r = suite.runs[0]!
    expect(r.status, r.error).toBe('ok')
    expect(r.perOperation.profile!.http_reqs.count).toBeGreaterThan(0)
    expect(r.perOperation.profile!.http_req_failed.fails).toBe(0)
    expect(r.metrics.checks?.fails).toBe(0)
    // Each profile request carried a token the server issued, and the login bodies numbered the iterations.
    const profiles = srv.seen.filter((s) => s.url === '/me')
    expect(profiles.length).toBeGreaterThan(0)
    for (const p of profiles) expect(issued.has(p.headers.authorization!.slice('Bearer '.length))).toBe(true)
    expect(new Set(srv.seen.filter((s) => s.url === '/login').map((s) => s.body)).size).toBe(srv.seen.filter((s) => s.url === '/login').length)
  })

  it('a CSV data file: rows handed out in order, one per iteration', async () => {
    const srv = await serve((_req, res) => res.end('ok'))
    servers.push(srv)
    writeFileSync(path.join(dir, 'users.csv'), 'email,name\nann@example.com,Ann\nbob@example.com,"Bob, Jr."\ncy@example.com,Cy\n')
    const suite = await run({
      name: 'csv',
      kind: 'performance',
      target: srv.url,
      http: {
        data: { users: { file: 'users.csv', order: 'sequential' } },
        requests: [{ name: 'signup', method: 'POST', path: '/signup', json: { email: '${users.email}', name: '${users.name}' } }],
      },
      load: { model: 'open', rate: 20, durationS: 1 },
    })
    expect(suite.runs[0]!.status, suite.runs[0]!.error).toBe('ok')
    const bodies = srv.seen.map((s) => JSON.parse(s.body) as { email: string; name: string })
    expect(bodies.length).toBeGreaterThanOrEqual(6)
    const expected = [
      { email: 'ann@example.com', name: 'Ann' },
      { email: 'bob@example.com', name: 'Bob, Jr.' },
      { email: 'cy@example.com', name: 'Cy' },
    ]
    // Sent in arrival order over one connection pool; compare the set per round of three.
    for (let i = 0; i + 3 <= bodies.length; i += 3) expect(new Set(bodies.slice(i, i + 3).map((b) => b.email))).toEqual(new Set(expected.map((e) => e.email)))
    expect(bodies).toContainEqual(expected[1])
  })

  it("a stall (late answers for the first second of every five) shows in the native engine's p99", async () => {
    const STALL_MS = 1000
    const PERIOD_MS = 5000
    const t0 = Date.now()
    const srv = await serve((_req, res) => {
      const phase = (Date.now() - t0) % PERIOD_MS
      if (phase < STALL_MS) setTimeout(() => res.end('late'), STALL_MS - phase)
      else res.end('ok')
    })
    servers.push(srv)
    const suite = await run({
      name: 'stall',
      kind: 'performance',
      target: srv.url,
      http: { requests: [{ name: 'ping', path: '/ping' }] },
      load: { model: 'open', rate: 40, durationS: 5, maxInFlight: 200 },
    })
    const r = suite.runs[0]!
    expect(r.status, r.error).toBe('ok')
    // Five seconds hold exactly one stall; the requests that arrived in it waited up to its end.
    const stalled = srv.seen.filter((s) => (s.at - t0) % PERIOD_MS < STALL_MS).length
    expect(stalled).toBeGreaterThan(0)
    expect(r.metrics.http_req_duration.p99).toBeGreaterThanOrEqual(STALL_MS / 2)
    // ... while most requests did not: the median sits below the stall, and the slowest second is the stalled one.
    expect(r.metrics.http_req_duration.p50).toBeLessThan(r.metrics.http_req_duration.p99)
    const worst = [...r.timeSeries].sort((a, b) => b.max - a.max)[0]!
    expect(worst.max).toBeGreaterThanOrEqual(STALL_MS / 2)
    expect(r.timeSeries.filter((p) => p.max >= STALL_MS / 2).length).toBeLessThanOrEqual(2)

    // The closed model against the same server hides it: only its connections meet the stall, so
    // the stall's share of the requests - and of the p99 - is tiny (coordinated omission).
    const openStalled = stalled
    srv.seen.length = 0
    const closed = (
      await run({
        name: 'stall-closed',
        kind: 'performance',
        target: srv.url,
        http: { requests: [{ name: 'ping', path: '/ping' }] },
        load: { model: 'closed', connections: 2, durationS: 5 },
      })
    ).runs[0]!
    expect(closed.status, closed.error).toBe('ok')
    const closedStalled = srv.seen.filter((s) => (s.at - t0) % PERIOD_MS < STALL_MS).length
    expect(closedStalled).toBeLessThanOrEqual(2 * 2)
    expect(openStalled).toBeGreaterThan(closedStalled)
    expect(closedStalled / closed.metrics.http_reqs.count).toBeLessThan(stalled / r.metrics.http_reqs.count)
  })

  it('a matrix over target runs the same requests against two versions of a service side by side', async () => {
    const fast = await serve((_req, res) => res.end('v1'))
    const slow = await serve((_req, res) => setTimeout(() => res.end('v2'), 30))
    servers.push(fast, slow)
    const suite = await run({
      name: 'two-versions',
      kind: 'comparison',
      target: fast.url,
      matrix: { target: [fast.url, slow.url] },
      http: { requests: [{ name: 'home', path: '/' }] },
      load: { model: 'closed', connections: 2, durationS: 1 },
      thresholds: { 'http_req_duration{op:home}': ['p(50)<10000'] },
    })
    expect(suite.runs.map((r) => [r.status, r.topology.target])).toEqual([
      ['ok', `${fast.url}/`],
      ['ok', `${slow.url}/`],
    ])
    expect(fast.seen.length).toBeGreaterThan(0)
    expect(slow.seen.length).toBeGreaterThan(0)
    // The slower version answers after 30 ms: its median shows it, the other's does not need to.
    expect(suite.runs[1]!.metrics.http_req_duration.p50).toBeGreaterThanOrEqual(30)
    expect(suite.runs[1]!.metrics.http_req_duration.p50).toBeGreaterThan(suite.runs[0]!.metrics.http_req_duration.p50)
    expect(suite.analysis?.comparisons.length).toBeGreaterThan(0)
  })

  it('failing checks drive a checks threshold to exit 99 and the first failing body is shown', async () => {
    const srv = await serve((req, res) => {
      res.statusCode = req.url === '/broken' ? 500 : 200
      res.end(req.url === '/broken' ? '{"error":"database is on fire"}' : 'fine')
    })
    servers.push(srv)
    const file = path.join(dir, 'failing-checks.ts')
    writeFileSync(
      file,
      `export default {
  name: 'failing-checks', kind: 'performance', target: ${JSON.stringify(srv.url)},
  http: { requests: [
    { name: 'fine', path: '/fine', check: { status: 200 } },
    { name: 'broken', path: '/broken', check: { status: [200, 201], bodyContains: 'ok' } },
  ] },
  load: { model: 'open', rate: 20, durationS: 1 },
  thresholds: { checks: ['rate>0.99'] },
}
`,
    )
    const out = path.join(dir, 'failing-out')
    const cli = runLoadlab(['run', file, '--out', out, '--agents', '1', '--summary-export', path.join(out, 'k6-summary.json')])
    expect(await cli.exited, cli.stderr() + cli.stdout()).toBe(99)
    expect(cli.stdout()).toContain('checks')
    expect(cli.stdout(), cli.stdout()).toContain('database is on fire')
    const suite = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult
    const failures = suite.runs[0]!.metrics.check_failures ?? []
    expect(failures.map((f) => f.check).sort()).toEqual(['body contains "ok"', 'status is 200 or 201'])
    expect(failures[0]).toMatchObject({ op: 'broken', status: 500, body: '{"error":"database is on fire"}' })
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('database is on fire')
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/Failed checks[\s\S]*database is on fire/)
    const k6 = JSON.parse(readFileSync(path.join(out, 'k6-summary.json'), 'utf8')) as { metrics: Record<string, Record<string, unknown>> }
    expect(k6.metrics.checks).toMatchObject({ thresholds: { 'rate>0.99': true } })
    expect(k6.metrics['http_req_duration{op:broken}']).toHaveProperty('p(95)')
  })
})
