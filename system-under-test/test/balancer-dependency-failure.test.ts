import { afterEach, describe, expect, it } from 'vitest'
import type { BalancerSnapshot } from '../src/balancer/balancer-control.js'
import { crash } from './support/balancer-crm-cluster.js'
import { send } from './support/balancer-http.js'
import { spawnRole, stopAll } from './support/sut-processes.js'

// One dead shard must cost what it costs, not a total outage: a replica that answers "my shard is
// down" (503 shard_unavailable + X-Dependency-Unavailable) is alive, so no balancer may eject it
// for that. With 1 of 2 shards down, availability through the balancer must equal availability
// asking a replica directly. Real processes: two shards, two replicas, each engine.

afterEach(async () => {
  await stopAll()
})

const CUSTOMERS = 40

for (const engine of ['builtin', 'haproxy', 'nginx'] as const) {
  describe(`${engine} balancer with one of two shards down`, () => {
    it('serves as much through the balancer as a replica does directly, and ejects no replica', async () => {
      const shards = await Promise.all([0, 1].map((i) => spawnRole('shard', ['--port', '0', '--shard-index', String(i)])))
      const shardUrls = shards.map((s) => s.url).join(',')
      const replicas = await Promise.all([1, 2].map((i) => spawnRole('replica', ['--port', '0', '--name', `replica-${i}`, '--shards', shardUrls])))
      const lb = await spawnRole('balancer', [
        '--port',
        '0',
        '--engine',
        engine,
        '--backends',
        replicas.map((r) => r.url).join(','),
        // Quick to eject, slow to forgive: any blame for the shard's failure would show.
        '--eject-after',
        '2',
        '--eject-ms',
        '60000',
        '--health-interval-ms',
        '200',
        '--health-timeout-ms',
        '5000',
      ])

      const ids: string[] = []
      for (let i = 0; i < CUSTOMERS; i++) {
        const created = await send(replicas[0]!.url, '/customers', {
          method: 'POST',
          body: { name: `Dep ${i}`, email: `dep${i}-${engine}@example.com`, company: 'Deps', segment: 'smb' },
        })
        expect(created.status).toBe(201)
        ids.push((created.body as { id: string }).id)
      }
      await crash(shards[1]!)

      const direct = []
      for (const id of ids) direct.push(await send(replicas[0]!.url, `/customers/${id}`))
      const directOk = direct.filter((a) => a.status === 200).length
      // Hash partitioning over two shards: some customers live on each.
      expect(directOk).toBeGreaterThan(0)
      expect(directOk).toBeLessThan(CUSTOMERS)
      for (const answer of direct.filter((a) => a.status !== 200)) {
        expect(answer.status).toBe(503)
        expect(answer.body).toMatchObject({ error: { code: 'shard_unavailable' } })
        expect(answer.headers['x-dependency-unavailable']).toBe('shard-1')
      }

      // Two passes through the balancer: ejection after the first failures would show in the second.
      for (let pass = 1; pass <= 2; pass++) {
        const viaBalancer = []
        for (const id of ids) viaBalancer.push((await send(lb.url, `/customers/${id}`)).status)
        expect(viaBalancer.filter((s) => s === 200).length, `pass ${pass}: ${viaBalancer.join(' ')}`).toBe(directOk)
        expect(viaBalancer.filter((s) => s !== 200 && s !== 503)).toEqual([])
      }
      const state = (await send(lb.adminUrl!, '/admin/backends')).body as BalancerSnapshot
      for (const backend of state.backends) expect(backend, backend.url).toMatchObject({ up: true, ejected: false })
      if (engine === 'builtin') expect(state.backends.map((b) => b.ejections)).toEqual([0, 0])
    })
  })
}
