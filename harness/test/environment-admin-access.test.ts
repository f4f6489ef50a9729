import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import type { StartedEnvironment } from '../src/environment/environment.js'
import { LocalEnvironment } from '../src/environment/local-environment.js'
import { topologySchema } from '../src/scenario/scenario-schema.js'
import { seedDataset } from '../src/workload/dataset.js'
import type { Workload } from '../src/workload/workload.js'

// The CRM's admin routes need a token the harness generates per start and hands to every member
// through its environment (never its command line). Seeding and the `slow` fault go to the
// members directly with it: the balancer proxies the public API only.
describe('local environment: admin access', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-admin-'))
  let env: StartedEnvironment | null = null

  afterAll(async () => {
    await env?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('seeds through a replica with the per-start token, slows members with it, and never shows it in a command line', async () => {
    const topology = topologySchema.parse({ replicas: 2, shards: 1, partition: 'single' })
    env = await new LocalEnvironment({ logDir: path.join(dir, 'logs') }).start(topology, new AbortController().signal)
    const admin = env.adminEndpoint()
    const replicaUrls = env
      .members()
      .filter((m) => m.role === 'replica')
      .map((m) => m.url)
    expect(replicaUrls).toContain(admin.url.origin)
    expect(admin.url.origin).not.toBe(env.entrypoint().origin)
    expect(admin.token).toMatch(/^[\w-]{32,}$/)

    const workload = { datasetSize: 20, seed: 7 } as Workload
    const signal = new AbortController().signal
    const dataset = await seedDataset(admin.url, workload, signal, { adminToken: admin.token })
    expect(dataset.customerIds).toHaveLength(20)
    // Without the token, or through the balancer, seeding is refused with a message saying why.
    await expect(seedDataset(admin.url, workload, signal, { adminToken: undefined, emailTag: 'no-token' })).rejects.toThrow(/HTTP 401/)
    await expect(seedDataset(env.entrypoint(), workload, signal, { adminToken: admin.token, emailTag: 'via-lb' })).rejects.toThrow(/HTTP 404/)

    for (const member of ['replica-1', 'shard-0']) {
      await expect(env.fault({ action: 'slow', member, factor: 1 })).resolves.toBe('service time x1')
    }
    const slowdown = await request(new URL('/admin/slowdown', admin.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"factor":1}',
    })
    expect(slowdown.statusCode).toBe(401)
    await slowdown.body.text()

    for (const member of env.members()) {
      const commandLine = readFileSync(`/proc/${member.pid}/cmdline`, 'utf8')
      expect(commandLine, member.name).not.toContain(admin.token!)
    }
  })
})
