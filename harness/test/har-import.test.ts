import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine } from '../src/engines/engine-registry.js'
import { runSuite } from '../src/runner/run-suite.js'
import { loadScenario } from '../src/scenario/load-scenario.js'
import { runLoadlab } from './support/run-fixtures.js'

// `loadlab import har` on a recording this test writes itself, then the imported scenario run
// as written (only its load shortened) against a plain node:http server.

function entry(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: { mimeType: string; text: string }; status?: number; mime?: string } = {},
): unknown {
  return {
    startedDateTime: '2026-01-01T00:00:00.000Z',
    time: 5,
    request: {
      method,
      url,
      httpVersion: 'HTTP/1.1',
      headers: Object.entries({ Host: new URL(url).host, 'User-Agent': 'test-browser', ...opts.headers }).map(([name, value]) => ({ name, value })),
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: -1,
      ...(opts.body ? { postData: opts.body } : {}),
    },
    response: {
      status: opts.status ?? 200,
      statusText: 'OK',
      httpVersion: 'HTTP/1.1',
      headers: [],
      cookies: [],
      content: { size: 2, mimeType: opts.mime ?? 'application/json' },
      redirectURL: '',
      headersSize: -1,
      bodySize: 2,
    },
    cache: {},
    timings: { send: 1, wait: 3, receive: 1 },
  }
}

describe('loadlab import har', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-har-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('imports a recording into a scenario that runs as written: weights by count, no static assets, no credentials', async () => {
    const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = []
    const server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
        res.setHeader('content-type', 'application/json')
        res.statusCode = req.url === '/api/login' ? 201 : 200
        res.end('{}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const har = {
        log: {
          version: '1.2',
          creator: { name: 'test', version: '1' },
          entries: [
            entry('GET', `${origin}/`, { mime: 'text/html', headers: { Cookie: 'sid=secret', 'If-None-Match': '"abc"' } }),
            entry('GET', `${origin}/`, { mime: 'text/html' }),
            entry('GET', `${origin}/`, { mime: 'text/html' }),
            entry('GET', `${origin}/api/items?page=2&sort=name`),
            entry('GET', `${origin}/api/items?page=3&sort=name`),
            entry('POST', `${origin}/api/login`, {
              headers: { Authorization: 'Bearer recorded', 'Content-Type': 'application/json' },
              body: { mimeType: 'application/json', text: '{"user":"ann"}' },
              status: 201,
            }),
            entry('GET', `${origin}/static/app.js`, { mime: 'application/javascript' }),
            entry('GET', `${origin}/logo.png`, { mime: 'image/png' }),
            entry('GET', 'https://cdn.example.com/lib.css', { mime: 'text/css' }),
            entry('GET', 'https://analytics.example.com/collect'),
          ],
        },
      }
      const harFile = path.join(dir, 'shop.har')
      writeFileSync(harFile, JSON.stringify(har))
      const out = path.join(dir, 'shop.ts')
      const cli = runLoadlab(['import', 'har', harFile, '--out', out])
      expect(await cli.exited, cli.stderr()).toBe(0)
      expect(cli.stderr()).toMatch(/static asset/)
      expect(cli.stderr()).toMatch(/cookie\/authorization header\(s\) left out/)

      const scenario = await loadScenario(out)
      expect(scenario.target?.origin).toBe(origin)
      const flows = scenario.http!.flows
      expect(flows.map((f) => [f.steps[0]!.method, f.steps[0]!.path, f.weight])).toEqual([
        ['GET', '/', 3],
        ['GET', '/api/items', 2],
        ['POST', '/api/login', 1],
      ])
      const login = flows[2]!.steps[0]!
      expect(login.json).toEqual({ user: 'ann' })
      expect(login.check?.status).toEqual([201])
      for (const f of flows) expect(Object.keys(f.steps[0]!.headers ?? {}).map((h) => h.toLowerCase())).not.toContain('authorization')
      expect(Object.keys(flows[0]!.steps[0]!.headers ?? {})).not.toContain('cookie')
      expect(Object.keys(flows[0]!.steps[0]!.headers ?? {})).not.toContain('if-none-match')
      expect(flows[1]!.steps[0]!.query).toEqual({ page: '2', sort: 'name' })

      // Runs as written (the load shortened for the test).
      const { suite } = await runSuite(
        { ...scenario, load: { model: 'open', rate: 30, durationS: 1, maxInFlight: 16 } },
        { outDir: path.join(dir, 'run'), engineFactory: (n) => createEngine(n) },
      )
      const r = suite.runs[0]!
      expect(r.status, r.error).toBe('ok')
      expect(r.metrics.http_req_failed.fails).toBe(0)
      expect(r.metrics.checks?.fails).toBe(0)
      expect(seen.some((s) => s.method === 'POST' && s.url === '/api/login' && s.body === '{"user":"ann"}')).toBe(true)
      expect(seen.every((s) => s.headers.authorization === undefined && s.headers.cookie === undefined)).toBe(true)
      expect(seen.some((s) => s.url.endsWith('.js') || s.url.endsWith('.png'))).toBe(false)

      // --keep-auth and --include-static keep what the defaults leave out.
      const all = path.join(dir, 'shop-all.ts')
      const cli2 = runLoadlab(['import', 'har', harFile, '--out', all, '--keep-auth', '--include-static'])
      expect(await cli2.exited, cli2.stderr()).toBe(0)
      const full = await loadScenario(all)
      const steps = full.http!.flows.map((f) => f.steps[0])
      expect(steps.map((s) => s!.path)).toEqual(['/', '/api/items', '/api/login', '/static/app.js', '/logo.png'])
      expect(steps.find((s) => s!.path === '/api/login')?.headers?.authorization).toBe('Bearer recorded')
      expect(steps[0]!.headers?.cookie).toBe('sid=secret')
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('refuses what is not a recording (exit 2, naming the file) and never overwrites a scenario', async () => {
    const bad = path.join(dir, 'bad.har')
    writeFileSync(bad, '{"log": {"entries": "nope"}}')
    const cli = runLoadlab(['import', 'har', bad])
    expect(await cli.exited).toBe(2)
    expect(cli.stderr()).toContain(bad)
    expect(cli.stderr()).toContain('log.entries')
    const existing = path.join(dir, 'exists.ts')
    writeFileSync(existing, '// mine')
    const good = path.join(dir, 'one.har')
    writeFileSync(good, JSON.stringify({ log: { entries: [entry('GET', 'http://127.0.0.1:9/')] } }))
    const cli2 = runLoadlab(['import', 'har', good, '--out', existing])
    expect(await cli2.exited).toBe(2)
    expect(cli2.stderr()).toContain('exists already')
    expect(existsSync(existing)).toBe(true)
  })
})
