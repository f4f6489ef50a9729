import { afterAll, describe, expect, it } from 'vitest'
import { startTempPostgres, type TempPostgres } from './support/postgres-server.js'
import { startTempRedis, type TempRedis } from './support/redis-server.js'
import { spawnRole, stopAll } from './support/sut-processes.js'

// The built replica over the non-default back ends, as started by users:
// `--store postgres` (one real database per shard) and `--cache redis` shared by two replicas.
// PostgreSQL and redis-server must be installed (.ci/run installs them); without them these fail
// with the install command rather than skip.

let postgres: TempPostgres | undefined
let redis: TempRedis | undefined

afterAll(async () => {
  await stopAll()
  await postgres?.stop()
  await redis?.stop()
}, 60_000)

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text) }
}

describe('replica --store postgres over two databases', () => {
  it('serves CRUD, email uniqueness across shards and a merged, paged search', async () => {
    postgres = await startTempPostgres()
    const shards = [await postgres.createDatabase('replica_shard_0'), await postgres.createDatabase('replica_shard_1')]
    const replica = await spawnRole('replica', ['--port', '0', '--store', 'postgres', '--shards', shards.join(','), '--partition', 'consistent-hash'])
    expect((await call('GET', `${replica.url}/ready`)).status).toBe(200)

    const ids: string[] = []
    for (let i = 0; i < 12; i++) {
      const created = await call('POST', `${replica.url}/customers`, {
        name: `Pg Person ${String(i).padStart(2, '0')}`,
        email: `pg${i}@example.com`,
        company: 'PG',
        segment: 'smb',
      })
      expect(created.status).toBe(201)
      ids.push(created.body.id)
    }
    expect((await call('POST', `${replica.url}/customers`, { name: 'Dup', email: 'PG3@EXAMPLE.COM', company: 'PG', segment: 'smb' })).status).toBe(409)
    expect((await call('PATCH', `${replica.url}/customers/${ids[0]}`, { name: 'Pg Person 00 renamed' })).body).toMatchObject({ version: 2 })
    expect((await call('DELETE', `${replica.url}/customers/${ids[1]}`)).status).toBe(204)
    expect((await call('GET', `${replica.url}/customers/${ids[1]}`)).status).toBe(404)

    const names: string[] = []
    let cursor: string | null = null
    do {
      const page: { status: number; body: any } = await call(
        'GET',
        `${replica.url}/customers?q=pg%20person&limit=4${cursor === null ? '' : `&cursor=${cursor}`}`,
      )
      expect(page.status).toBe(200)
      names.push(...page.body.items.map((c: { name: string }) => c.name))
      cursor = page.body.nextCursor
    } while (cursor !== null)
    expect(names).toEqual(['Pg Person 00 renamed', ...Array.from({ length: 10 }, (_, i) => `Pg Person ${String(i + 2).padStart(2, '0')}`)])

    const metrics = await fetch(`${replica.url}/metrics`).then((r) => r.text())
    expect(metrics).toMatch(/crm_shard_requests_total\{shard="0"\} [1-9]/)
    expect(metrics).toMatch(/crm_shard_requests_total\{shard="1"\} [1-9]/)
    expect(await replica.stop()).toBe(0)
  }, 120_000)
})

describe('two replicas sharing a --cache redis', () => {
  it('serve hits from the shared cache, and neither serves the old version after the other wrote', async () => {
    redis = await startTempRedis()
    const shard = await spawnRole('shard', ['--port', '0'])
    const [a, b] = await Promise.all(
      ['a', 'b'].map((name) =>
        spawnRole('replica', ['--port', '0', '--name', name, '--shards', shard.url, '--partition', 'single', '--cache', 'redis', '--redis', redis!.url]),
      ),
    )
    expect((await call('GET', `${a!.url}/ready`)).status).toBe(200)
    const created = await call('POST', `${a!.url}/customers`, { name: 'Shared', email: 'shared@example.com', company: 'R', segment: 'smb' })
    const path = `/customers/${created.body.id}`
    expect((await call('GET', a!.url + path)).headers.get('x-cache')).toBe('miss')
    const fromB = await call('GET', b!.url + path)
    expect(fromB.headers.get('x-cache')).toBe('hit')
    expect(fromB.headers.get('x-replica')).toBe('b')

    for (let v = 2; v <= 3; v++) {
      const writer = v % 2 === 0 ? a : b
      const reader = v % 2 === 0 ? b : a
      expect((await call('PATCH', writer!.url + path, { company: `R${v}` })).body).toMatchObject({ version: v })
      expect((await call('GET', reader!.url + path)).body).toMatchObject({ version: v, company: `R${v}` })
    }
    expect((await call('DELETE', a!.url + path)).status).toBe(204)
    expect((await call('GET', b!.url + path)).status).toBe(404)
  }, 60_000)
})
