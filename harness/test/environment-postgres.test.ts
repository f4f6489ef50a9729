import { spawn } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import type { StartedEnvironment } from '../src/environment/environment.js'
import { LocalEnvironment } from '../src/environment/local-environment.js'
import { topologySchema } from '../src/scenario/scenario-schema.js'
import { isAlive, pidsIn, REPO_ROOT, waitFor } from './support/run-fixtures.js'

// Store `postgres` in a local topology: LoadLab initdb's a PostgreSQL cluster in the run folder
// (as the postgres user under root), serves it on 127.0.0.1, gives each shard a schema, and
// removes it all afterwards, also when the harness itself is killed.
describe('local environment: store postgres', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-postgres-env-'))
  // As a run folder is (mkdtemp's 0700 would keep the postgres user out, and the cluster would go to a temporary folder).
  chmodSync(dir, 0o755)
  let env: StartedEnvironment | null = null

  afterAll(async () => {
    await env?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('refuses emulation.shard with store postgres, naming the field and the fix', () => {
    const result = topologySchema.safeParse({ store: 'postgres', emulation: { shard: { serviceTime: 'constant:3' } } })
    expect(result.success).toBe(false)
    expect(result.error!.issues[0]).toMatchObject({
      path: ['emulation', 'shard'],
      message: expect.stringMatching(/remove emulation\.shard, or use store "embedded"/),
    })
  })

  it('range-partitioned shards on a cluster of its own: serves the CRM, survives a postgres restart, removes the cluster on stop', async () => {
    const logDir = path.join(dir, 'logs')
    const pidFile = path.join(dir, 'pids.txt')
    const topology = topologySchema.parse({ replicas: 2, shards: 3, partition: 'range', store: 'postgres' })
    env = await new LocalEnvironment({ logDir, pidFile }).start(topology, new AbortController().signal)
    expect(
      env
        .members()
        .map((m) => m.name)
        .sort(),
    ).toEqual(['balancer', 'postgres', 'replica-1', 'replica-2'])
    const postgres = env.members().find((m) => m.name === 'postgres')!
    expect(postgres).toMatchObject({ role: 'postgres', metricsUrl: null, url: expect.stringMatching(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/crm$/) })
    expect(existsSync(path.join(logDir, 'postgres', 'data', 'PG_VERSION'))).toBe(true)
    const port = Number(/:(\d+)\//.exec(postgres.url)![1])
    const listening = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' })
    expect(listening).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}\\b`))
    expect(listening).not.toMatch(new RegExp(`(0\\.0\\.0\\.0|\\*|\\[::\\]):${port}\\b`))

    const create = async (i: number): Promise<string> => {
      const res = await request(new URL('/customers', env!.entrypoint()), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Pg ${i}`, email: `pg${i}@example.com`, company: 'C', segment: 'smb' }),
      })
      expect(res.statusCode).toBe(201)
      return ((await res.body.json()) as { id: string }).id
    }
    const before = await create(1)

    await env.fault({ action: 'restart', member: 'postgres' })
    // The replicas' pools reconnect on their own once the server is back.
    const deadline = Date.now() + 30_000
    let status = 0
    while (Date.now() < deadline) {
      const res = await request(new URL(`/customers/${before}`, env.entrypoint())).catch(() => null)
      status = res?.statusCode ?? 0
      await res?.body.text()
      if (status === 200) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(status).toBe(200) // written before the restart, still there after it
    await create(2)

    await env.stop()
    expect(pidsIn(pidFile).filter(isAlive)).toEqual([])
    expect(existsSync(path.join(logDir, 'postgres'))).toBe(false)
  })

  it('a harness killed with SIGKILL leaves no member running (the lifeline), memcached and postgres included', async () => {
    const logDir = path.join(dir, 'killed-logs')
    const pidFile = path.join(dir, 'killed-pids.txt')
    const script = `
      const { LocalEnvironment } = await import(${JSON.stringify(path.join(REPO_ROOT, 'harness/dist/environment/local-environment.js'))})
      const topology = { replicas: 1, shards: 2, partition: 'hash', store: 'postgres', durability: 'none',
        balancer: { strategy: 'round-robin', implementation: 'builtin' },
        cache: { strategy: 'memcached', size: 100, ttlMs: 1000, writePolicy: 'invalidate' }, emulation: {}, sync: { strategy: 'none' } }
      await new LocalEnvironment({ logDir: ${JSON.stringify(logDir)}, pidFile: ${JSON.stringify(pidFile)} }).start(topology, new AbortController().signal)
      console.log('UP')
      setInterval(() => {}, 1000)
    `
    const harness = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    harness.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    try {
      await waitFor(() => out.includes('UP') || harness.exitCode !== null, 90_000, 'the topology to start')
      expect(out).toContain('UP')
      const names = readdirSync(logDir)
      expect(names).toEqual(expect.arrayContaining(['memcached.log', 'postgres.log', 'replica-1.log']))
      const pids = pidsIn(pidFile)
      expect(pids).toHaveLength(3)
      expect(pids.filter(isAlive)).toHaveLength(3)
      harness.kill('SIGKILL')
      await waitFor(() => pids.filter(isAlive).length === 0, 30_000, `members ${pids.join(', ')} to exit after the harness was killed`)
    } finally {
      harness.kill('SIGKILL')
      for (const pid of pidsIn(pidFile)) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }
  })
})
