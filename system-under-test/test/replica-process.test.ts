import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPLICA_METRIC_NAMES } from './support/replica-metric-names.js'
import { runToExit, spawnRole, stopAll, TEST_ADMIN_HEADERS, type SpawnedRole } from './support/sut-processes.js'

// The built system under test as users and the harness start it:
// `node system-under-test/dist/main.js shard|replica ...` (run `npm run build` first).

afterAll(async () => {
  await stopAll()
})

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init)
  return { status: res.status, body: await res.json() }
}

function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  return json(url, { method: 'POST', headers: { ...TEST_ADMIN_HEADERS }, body: JSON.stringify(body) })
}

/** A gauge or counter value from Prometheus text, by its full series name (with labels). */
function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  if (line === undefined) throw new Error(`no series ${series} in:\n${text}`)
  return Number(line.slice(series.length + 1))
}

describe('main.js', () => {
  it('lists the roles and exits 2 without a role or with an unknown one', async () => {
    for (const args of [[], ['frontend']]) {
      const run = await runToExit(args)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain('shard')
      expect(run.stderr).toContain('replica')
      expect(run.stderr).toContain('balancer')
    }
  })

  it('`replica --help` lists every flag with its default and exits 0', async () => {
    const run = await runToExit(['replica', '--help'])
    expect(run.code).toBe(0)
    for (const flag of [
      '--port',
      '--host',
      '--name',
      '--shards',
      '--store',
      '--partition',
      '--virtual-nodes',
      '--range-start',
      '--range-end',
      '--cache ',
      '--cache-size',
      '--cache-ttl-ms',
      '--write-policy',
      '--redis',
      '--memcached',
      '--service-time',
      '--slots',
      '--queue-limit',
    ]) {
      expect(run.stdout).toContain(flag)
    }
    const help = run.stdout.replace(/\s+/g, ' ')
    for (const defaults of [
      'default: "127.0.0.1"',
      'default: "hash"',
      'default: "none"',
      'default: 10000',
      'default: 30000',
      'default: "invalidate"',
      'default: 160',
      'default: 8',
      'default: 64',
      'default: off',
      'default: "embedded"',
    ]) {
      expect(help).toContain(defaults)
    }
  })

  it.each([
    [['--shards', 'http://127.0.0.1:7001', '--partition', 'modulo'], '--partition'],
    [['--shards', 'http://127.0.0.1:7001', '--cache-size', 'lots'], '--cache-size'],
    [['--shards', 'http://127.0.0.1:7001', '--bogus'], '--bogus'],
    [[], '--shards'],
    [['--shards', 'http://127.0.0.1:7001', '--store', 'postgres'], '--store postgres'],
    [['--shards', 'postgres://localhost/crm'], '--store postgres'],
    [['--shards', 'http://127.0.0.1:7001', '--cache', 'redis'], '--redis'],
    [['--shards', 'http://127.0.0.1:7001', '--cache', 'memcached'], '--memcached 127.0.0.1:11211'],
    [['--shards', 'http://127.0.0.1:7001', '--cache', 'memcached', '--memcached', 'memcached://127.0.0.1'], 'is not host:port'],
    [['--shards', 'http://127.0.0.1:7001', '--service-time', 'slow'], '--service-time'],
    [['--shards', 'http://127.0.0.1:7001', '--range-start', '2026-02-01', '--range-end', '2026-01-01'], '--range-end'],
  ])('`replica %j` exits 2 naming %s', async (args, named) => {
    const run = await runToExit(['replica', ...args])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(named)
    expect(run.stdout).not.toContain('LISTENING')
  })
})

describe('replica over two shard processes', () => {
  let replica: SpawnedRole
  beforeAll(async () => {
    const shards = await Promise.all([0, 1].map((i) => spawnRole('shard', ['--port', '0', '--shard-index', String(i)])))
    replica = await spawnRole('replica', ['--port', '0', '--shards', shards.map((s) => s.url).join(','), '--cache', 'lru', '--name', 'r-proc'])
  })

  it('is ready, serves CRUD and exposes the contract metrics', async () => {
    const ready = await json(`${replica.url}/ready`)
    expect(ready).toEqual({ status: 200, body: { status: 'ready', replica: 'r-proc' } })

    const created = await post(`${replica.url}/customers`, { name: 'Proc Ada', email: `proc-${Date.now()}@example.com`, company: 'C', segment: 'smb' })
    expect(created.status).toBe(201)
    const read = await fetch(`${replica.url}/customers/${created.body.id}`)
    expect(read.status).toBe(200)
    expect(read.headers.get('x-replica')).toBe('r-proc')

    const text = await fetch(`${replica.url}/metrics`).then((r) => r.text())
    for (const name of REPLICA_METRIC_NAMES) {
      expect(text).toContain(`# TYPE ${name} `)
    }
  })

  it('closes gracefully on SIGTERM with exit code 0', async () => {
    expect(await replica.stop()).toBe(0)
    expect(replica.output().stdout.match(/^LISTENING /gm)).toHaveLength(1)
  })
})

describe('replica with --partition range over three shard processes', () => {
  const DAY_MS = 86_400_000
  let shards: SpawnedRole[]
  let replica: SpawnedRole
  const rangeEnd = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS)
  const rangeStart = new Date(rangeEnd.getTime() - 365 * DAY_MS)

  beforeAll(async () => {
    shards = await Promise.all([0, 1, 2].map((i) => spawnRole('shard', ['--port', '0', '--shard-index', String(i)])))
    replica = await spawnRole('replica', [
      '--port',
      '0',
      '--shards',
      shards.map((s) => s.url).join(','),
      '--partition',
      'range',
      '--range-start',
      rangeStart.toISOString(),
      '--range-end',
      rangeEnd.toISOString(),
    ])
  })

  const customersPerShard = async (): Promise<number[]> =>
    Promise.all(shards.map(async (s, i) => metric(await fetch(`${s.url}/metrics`).then((r) => r.text()), `shard_customers{shard="${i}"}`)))

  it('spreads a year of seeded customers over the first shards and sends every new customer to the last one', async () => {
    const stamp = Date.now()
    const seeded = Array.from({ length: 300 }, (_, i) => ({
      name: `Seed ${i}`,
      email: `seed-${i}-${stamp}@example.com`,
      company: 'Old Co',
      segment: 'smb',
      // Spread evenly over the window, all before its end.
      createdAt: new Date(rangeStart.getTime() + ((i + 0.5) / 300) * (rangeEnd.getTime() - rangeStart.getTime())).toISOString(),
    }))
    const bulk = await post(`${replica.url}/admin/customers/bulk`, { customers: seeded })
    expect(bulk.status).toBe(201)
    const afterSeed = await customersPerShard()
    expect(afterSeed[0]).toBeGreaterThan(100)
    expect(afterSeed[1]).toBeGreaterThan(100)
    expect(afterSeed[2]).toBe(0)

    for (let i = 0; i < 20; i++) {
      const created = await post(`${replica.url}/customers`, { name: `New ${i}`, email: `new-${i}-${stamp}@example.com`, company: 'New Co', segment: 'smb' })
      expect(created.status).toBe(201)
    }
    const afterCreates = await customersPerShard()
    expect(afterCreates).toEqual([afterSeed[0], afterSeed[1], 20])
  })
})
