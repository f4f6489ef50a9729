import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import type { StartedEnvironment } from '../src/environment/environment.js'
import { LocalEnvironment } from '../src/environment/local-environment.js'
import { topologySchema } from '../src/scenario/scenario-schema.js'
import { isAlive, pidsIn } from './support/run-fixtures.js'

// Cache `memcached` in a local topology: LoadLab starts a real memcached (Debian's package) on
// 127.0.0.1, both replicas share it, and it is stopped with the topology.
describe('local environment: cache memcached', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-memcached-env-'))
  const pidFile = path.join(dir, 'pids.txt')
  let env: StartedEnvironment | null = null

  afterAll(async () => {
    await env?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('is a cache strategy a topology accepts', () => {
    expect(topologySchema.parse({ cache: { strategy: 'memcached' } }).cache.strategy).toBe('memcached')
  })

  it('starts memcached on 127.0.0.1 only, shared by two replicas (a read on one is a hit on the other, a write through one is seen by both), survives its restart, and stops it', async () => {
    const topology = topologySchema.parse({ replicas: 2, shards: 1, partition: 'single', cache: { strategy: 'memcached', writePolicy: 'invalidate' } })
    env = await new LocalEnvironment({ logDir: path.join(dir, 'logs'), pidFile }).start(topology, new AbortController().signal)
    const memcached = env.members().find((m) => m.name === 'memcached')
    expect(memcached).toMatchObject({ role: 'memcached', metricsUrl: null, url: expect.stringMatching(/^memcached:\/\/127\.0\.0\.1:\d+$/) })
    const port = Number(/:(\d+)$/.exec(memcached!.url)![1])
    // Listening on the loopback address only, not on every interface.
    const listening = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' })
    expect(listening).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}\\b`))
    expect(listening).not.toMatch(new RegExp(`(0\\.0\\.0\\.0|\\*|\\[::\\]):${port}\\b`))

    const [one, two] = ['replica-1', 'replica-2'].map((name) => env!.members().find((m) => m.name === name)!.url)
    const created = await request(new URL('/customers', one), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Grace Hopper', email: 'grace@example.com', company: 'Navy', segment: 'enterprise' }),
    })
    expect(created.statusCode).toBe(201)
    const { id } = (await created.body.json()) as { id: string }
    const read = async (base: string): Promise<{ cache: string | string[] | undefined; body: { name: string; version: number } }> => {
      const res = await request(new URL(`/customers/${id}`, base))
      expect(res.statusCode).toBe(200)
      return { cache: res.headers['x-cache'], body: (await res.body.json()) as { name: string; version: number } }
    }
    expect((await read(one!)).cache).toBe('miss')
    expect((await read(two!)).cache).toBe('hit') // filled by replica-1: the cache is shared

    const updated = await request(new URL(`/customers/${id}`, two), {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Grace B. Hopper' }),
    })
    expect(updated.statusCode).toBe(200)
    await updated.body.text()
    expect((await read(one!)).body).toMatchObject({ name: 'Grace B. Hopper', version: 2 })

    // memcached restarted (empty): reads fall through to the store, then the replicas fill it again.
    await env.fault({ action: 'restart', member: 'memcached' })
    let after = await read(two!)
    for (let i = 0; i < 50 && after.cache !== 'hit'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      after = await read((i % 2 === 0 ? one : two)!)
    }
    expect(after).toMatchObject({ cache: 'hit', body: { name: 'Grace B. Hopper', version: 2 } })

    await env.stop()
    expect(pidsIn(pidFile).filter(isAlive)).toEqual([])
  })
})
