import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StartedEnvironment } from '../src/environment/environment.js'
import { LocalEnvironment, SUT_MAIN } from '../src/environment/local-environment.js'
import { topologySchema } from '../src/scenario/scenario-schema.js'
import { isAlive, pidsIn } from './support/run-fixtures.js'

// Starts a real topology from the built SUT (npm run build runs before vitest).
describe('local environment', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-env-'))
  const pidFile = path.join(dir, 'pids.txt')
  let env: StartedEnvironment | null = null

  beforeAll(() => {
    expect(existsSync(SUT_MAIN), `${SUT_MAIN} missing: run npm run build`).toBe(true)
  })
  afterAll(async () => {
    await env?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('starts 1 shard, 2 replicas and a balancer, survives kill/restart faults and leaves no process behind', async () => {
    const topology = topologySchema.parse({ replicas: 2, shards: 1, partition: 'single' })
    env = await new LocalEnvironment({ logDir: path.join(dir, 'logs'), pidFile }).start(topology, new AbortController().signal)
    const members = env.members()
    expect(members.map((m) => m.name).sort()).toEqual(['balancer', 'replica-1', 'replica-2', 'shard-0'])
    expect(members.every((m) => m.pid !== null && m.url.startsWith('http://127.0.0.1:'))).toBe(true)

    // Reach the CRM through the balancer: a customer created is read back.
    const created = await request(new URL('/customers', env.entrypoint()), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com', company: 'Analytical', segment: 'smb' }),
    })
    expect(created.statusCode).toBe(201)
    const { id } = (await created.body.json()) as { id: string }
    const read = await request(new URL(`/customers/${id}`, env.entrypoint()))
    expect(read.statusCode).toBe(200)
    await read.body.text()

    // kill: the process is gone; restart: it comes back on the same URL with a new pid.
    const before = env.members().find((m) => m.name === 'replica-2')!
    await env.fault({ action: 'kill', member: 'replica-2' })
    expect(isAlive(before.pid!)).toBe(false)
    expect(env.members().find((m) => m.name === 'replica-2')!.pid).toBeNull()
    await env.fault({ action: 'restart', member: 'replica-2' })
    const after = env.members().find((m) => m.name === 'replica-2')!
    expect(after.url).toBe(before.url)
    expect(after.pid).not.toBe(before.pid)
    const health = await request(new URL('/health', after.url))
    expect(health.statusCode).toBe(200)
    await health.body.text()

    // pause then stop: a stopped (SIGSTOP) member must still be stopped.
    await env.fault({ action: 'pause', member: 'replica-1' })
    await expect(env.fault({ action: 'kill', member: 'replica-9' })).rejects.toThrow(/no member "replica-9"/)

    await env.stop()
    const pids = pidsIn(pidFile)
    expect(pids.length).toBe(5) // 4 members + the restarted replica
    expect(pids.filter(isAlive)).toEqual([])
    expect(readFileSync(path.join(dir, 'logs', 'replica-2.log'), 'utf8')).toMatch(/LISTENING/)
  })

  it('names the member and shows its log when it cannot start', async () => {
    const topology = topologySchema.parse({ replicas: 1, shards: 1 })
    const broken = new LocalEnvironment({
      logDir: path.join(dir, 'logs-broken'),
      sutMain: path.join(dir, 'missing-main.js'),
      pidFile: path.join(dir, 'pids-broken.txt'),
    })
    await expect(broken.start(topology, new AbortController().signal)).rejects.toThrow(/shard-0 exited .* before it was ready[\s\S]*Cannot find module/)
    expect(pidsIn(path.join(dir, 'pids-broken.txt')).filter(isAlive)).toEqual([])
  })
})
