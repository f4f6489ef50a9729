import { spawn } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest, type RawAnswer } from './support/raw-http.js'
import { SUT_MAIN, spawnRole, stopAll, TEST_ADMIN_TOKEN, type SpawnedRole } from './support/sut-processes.js'

// The admin routes (the balancer's admin port, a replica's and a shard's /admin) can drain every
// backend, slow a process down or load thousands of records. Before, any web page on the machine
// could call them (no token, text/plain accepted, any Origin and Host). Now each needs the admin
// token, a loopback Host (DNS-rebinding guard), no foreign Origin, and JSON on POST. GET /metrics
// stays open for scrapers. Real processes, started as the harness starts them.

let shard: SpawnedRole
let replica: SpawnedRole
let balancer: SpawnedRole

beforeAll(async () => {
  shard = await spawnRole('shard', ['--port', '0'])
  replica = await spawnRole('replica', ['--port', '0', '--shards', shard.url])
  balancer = await spawnRole('balancer', ['--port', '0', '--backends', replica.url])
})

afterAll(async () => {
  await stopAll()
})

interface AdminCall {
  method?: string
  token?: string | null
  host?: string
  origin?: string
  contentType?: string | null
  body?: string
}

/** One admin request as written, so Host and Origin can be what a hostile page would send. */
function adminCall(base: string, path: string, call: AdminCall = {}): Promise<RawAnswer> {
  const { port } = new URL(base)
  const body = call.body ?? ''
  const lines = [`${call.method ?? 'POST'} ${path} HTTP/1.1`, `Host: ${call.host ?? `127.0.0.1:${port}`}`, 'Connection: close']
  const token = call.token === undefined ? TEST_ADMIN_TOKEN : call.token
  if (token !== null) lines.push(`Authorization: Bearer ${token}`)
  if (call.origin !== undefined) lines.push(`Origin: ${call.origin}`)
  const contentType = call.contentType === undefined ? 'application/json' : call.contentType
  if (contentType !== null && body !== '') lines.push(`Content-Type: ${contentType}`)
  if (body !== '' || call.method === undefined || call.method === 'POST') lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  return rawRequest(base, `${lines.join('\r\n')}\r\n\r\n${body}`)
}

function code(answer: RawAnswer): string | undefined {
  try {
    return (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code
  } catch {
    return undefined
  }
}

/** The refusals every admin route gives, checked on one POST route of each server. */
async function expectGuarded(base: string, path: string, body: string): Promise<void> {
  const noToken = await adminCall(base, path, { token: null, body })
  expect(noToken.status, noToken.body).toBe(401)
  expect(noToken.headers['www-authenticate']).toBe('Bearer')
  expect(code(noToken)).toBe('unauthorized')
  expect((await adminCall(base, path, { token: 'x'.repeat(TEST_ADMIN_TOKEN.length), body })).status).toBe(401)
  expect((await adminCall(base, path, { token: `${TEST_ADMIN_TOKEN}x`, body })).status).toBe(401)
  // What a browser sends from a page: a simple text/plain POST from another origin.
  const page = await adminCall(base, path, { token: null, origin: 'http://evil.example', contentType: 'text/plain', body })
  expect([401, 403]).toContain(page.status)
  // DNS rebinding: the page reaches 127.0.0.1 under its own name, even holding the token.
  const rebound = await adminCall(base, path, { host: 'evil.example', body })
  expect(rebound.status, rebound.body).toBe(403)
  expect(code(rebound)).toBe('forbidden_host')
  expect((await adminCall(base, path, { host: 'evil.example:80', body })).status).toBe(403)
  expect((await adminCall(base, path, { origin: 'http://evil.example', body })).status).toBe(403)
  const plain = await adminCall(base, path, { contentType: 'text/plain', body })
  expect(plain.status, plain.body).toBe(415)
  const ok = await adminCall(base, path, { body })
  expect(ok.status, ok.body).toBe(200)
  expect((await adminCall(base, path, { host: 'localhost', body })).status).toBe(200)
  expect((await adminCall(base, path, { origin: `http://127.0.0.1:${new URL(base).port}`, body })).status).toBe(200)
}

describe('admin protection', () => {
  it('replica /admin: slowdown and bulk load need the token, a loopback Host and JSON', async () => {
    await expectGuarded(replica.url, '/admin/slowdown', '{"factor":1}')
    const bulk = JSON.stringify({ customers: [{ name: 'A', email: 'a@guard.test', company: 'C', segment: 'smb', createdAt: '2025-01-01T00:00:00Z' }] })
    expect((await adminCall(replica.url, '/admin/customers/bulk', { token: null, body: bulk })).status).toBe(401)
    expect((await adminCall(replica.url, '/admin/customers/bulk', { contentType: 'text/plain', body: bulk })).status).toBe(415)
    // Express routes case-insensitively: the guard covers every spelling.
    expect((await adminCall(replica.url, '/ADMIN/slowdown', { token: null, body: '{"factor":1}' })).status).toBe(401)
    expect((await adminCall(replica.url, '/admin/customers/bulk', { body: bulk })).status).toBe(201)
  })

  it('shard /admin: slowdown is guarded the same way', async () => {
    await expectGuarded(shard.url, '/admin/slowdown', '{"factor":1}')
  })

  it('balancer admin port: every admin route is guarded; GET /metrics stays open for scrapers', async () => {
    const admin = balancer.adminUrl!
    await expectGuarded(admin, '/admin/backends/undrain', JSON.stringify({ url: replica.url }))
    expect((await adminCall(admin, '/admin/backends', { method: 'GET', token: null })).status).toBe(401)
    expect((await adminCall(admin, '/admin/backends', { method: 'GET' })).status).toBe(200)
    // The drain the probe sent from a web page (text/plain, foreign Origin) does nothing.
    await adminCall(admin, '/admin/backends/drain', {
      token: null,
      origin: 'http://evil.example',
      contentType: 'text/plain',
      body: JSON.stringify({ url: replica.url }),
    })
    const state = JSON.parse((await adminCall(admin, '/admin/backends', { method: 'GET' })).body) as { backends: { draining: boolean }[] }
    expect(state.backends[0]!.draining).toBe(false)
    for (const base of [admin, replica.url, shard.url]) {
      const metrics = await adminCall(base, '/metrics', { method: 'GET', token: null })
      expect(metrics.status, base).toBe(200)
    }
  })

  it('a role started without LOADLAB_ADMIN_TOKEN generates one, names its file, and removes it on exit', async () => {
    const env = { ...process.env }
    delete env.LOADLAB_ADMIN_TOKEN
    const own = await spawnRole('replica', ['--port', '0', '--shards', shard.url], { env })
    await expect.poll(() => own.output().stderr, { timeout: 30_000 }).toMatch(/admin token generated in (\S+)/)
    const file = /admin token generated in (\S+)/.exec(own.output().stderr)![1]!
    expect(statSync(file).mode & 0o077).toBe(0) // only the user may read it
    const token = readFileSync(file, 'utf8').trim()
    expect(token.length).toBeGreaterThanOrEqual(32)
    expect(token).not.toBe(TEST_ADMIN_TOKEN)
    expect((await adminCall(own.url, '/admin/slowdown', { token, body: '{"factor":1}' })).status).toBe(200)
    expect((await adminCall(own.url, '/admin/slowdown', { body: '{"factor":1}' })).status).toBe(401)
    expect(await own.stop()).toBe(0)
    expect(existsSync(file)).toBe(false)
  })

  it('refuses a LOADLAB_ADMIN_TOKEN too short to be safe, exit 2 naming it', async () => {
    const child = spawn(process.execPath, [SUT_MAIN, 'replica', '--port', '0', '--shards', shard.url], {
      env: { ...process.env, LOADLAB_ADMIN_TOKEN: 'secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(exitCode).toBe(2)
    expect(stderr).toMatch(/LOADLAB_ADMIN_TOKEN must be at least 16 characters/)
  })
})
