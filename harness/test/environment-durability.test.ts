import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import type { StartedEnvironment } from '../src/environment/environment.js'
import { LocalEnvironment } from '../src/environment/local-environment.js'
import { MATRIX_PATHS } from '../src/scenario/matrix-paths.js'
import { topologySchema } from '../src/scenario/scenario-schema.js'

// `topology.durability` gives the embedded shards an append-only log in the run folder: a shard
// killed and restarted by faults replays it and still has what it acknowledged. Before, a
// restarted shard came back empty.
describe('local environment: shard durability', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-durable-env-'))
  let env: StartedEnvironment | null = null

  afterAll(async () => {
    await env?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('is a topology field and a matrix axis, defaulting to none', () => {
    expect(topologySchema.parse({}).durability).toBe('none')
    expect(topologySchema.parse({ durability: 'always' }).durability).toBe('always')
    expect(topologySchema.safeParse({ durability: 'sometimes' }).success).toBe(false)
    expect(MATRIX_PATHS).toContain('durability')
  })

  it('durability always: a shard killed and restarted keeps every acknowledged write', async () => {
    const logDir = path.join(dir, 'logs')
    const topology = topologySchema.parse({ replicas: 1, shards: 1, partition: 'single', durability: 'always' })
    env = await new LocalEnvironment({ logDir }).start(topology, new AbortController().signal)
    const ids: string[] = []
    for (let i = 0; i < 10; i++) {
      const created = await request(new URL('/customers', env.entrypoint()), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Kept ${i}`, email: `kept${i}@durable.test`, company: 'C', segment: 'smb' }),
      })
      expect(created.statusCode).toBe(201)
      ids.push(((await created.body.json()) as { id: string }).id)
    }
    expect(existsSync(path.join(logDir, 'shard-0.aof'))).toBe(true)
    await env.fault({ action: 'kill', member: 'shard-0' })
    await env.fault({ action: 'restart', member: 'shard-0' })
    for (const id of ids) {
      const read = await request(new URL(`/customers/${id}`, env.entrypoint()))
      expect(read.statusCode, id).toBe(200)
      await read.body.text()
    }
  })
})
