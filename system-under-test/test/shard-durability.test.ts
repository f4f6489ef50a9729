import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { crash } from './support/balancer-crm-cluster.js'
import { send } from './support/balancer-http.js'
import { runToExit, spawnRole, stopAll, type SpawnedRole } from './support/sut-processes.js'

// An embedded shard with --durability always|everysec appends every change to its --data-file
// before answering and replays the file on start: killed with SIGKILL in the middle of writes and
// started again on the same file, it has every write it acknowledged. Before, a restarted shard
// came back empty (154 of 400 acknowledged writes lost in the probe). Real processes: a shard and
// a replica over it; writes go through the replica as clients send them.

const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-durability-'))

afterEach(async () => {
  await stopAll()
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

interface Acknowledged {
  /** Customer id -> highest version a client was told was stored. */
  versions: Map<string, number>
}

/**
 * Four writers create customers and update them, for as long as `running()` says; every 201/200
 * is recorded as acknowledged. Failures (the shard is gone) are expected once the kill happens.
 */
async function writeUntil(replica: SpawnedRole, running: () => boolean, tag: string): Promise<Acknowledged> {
  const versions = new Map<string, number>()
  let n = 0
  const writer = async (w: number): Promise<void> => {
    let mine: string | null = null
    while (running()) {
      const i = n++
      if (mine === null || i % 3 === 0) {
        const created = await send(replica.url, '/customers', {
          method: 'POST',
          body: { name: `Durable ${i}`, email: `${tag}-${w}-${i}@durable.test`, company: 'C', segment: 'smb' },
        }).catch(() => null)
        if (created?.status === 201) {
          mine = (created.body as { id: string }).id
          versions.set(mine, 1)
        }
      } else {
        const updated = await send(replica.url, `/customers/${mine}`, { method: 'PATCH', body: { company: `C${i}` } }).catch(() => null)
        if (updated?.status === 200) versions.set(mine, Math.max(versions.get(mine) ?? 0, (updated.body as { version: number }).version))
      }
    }
  }
  await Promise.all([0, 1, 2, 3].map(writer))
  return { versions }
}

async function startShard(args: readonly string[], port = 0): Promise<SpawnedRole> {
  return spawnRole('shard', ['--port', String(port), ...args])
}

describe('embedded shard durability', () => {
  for (const durability of ['always', 'everysec'] as const) {
    it(`--durability ${durability}: no acknowledged write is lost across SIGKILL mid-writes and a restart on the same file`, async () => {
      const dataFile = path.join(dir, `${durability}.aof`)
      const shardArgs = ['--durability', durability, '--data-file', dataFile]
      const shard = await startShard(shardArgs)
      const replica = await spawnRole('replica', ['--port', '0', '--shards', shard.url, '--partition', 'single'])

      let killed = false
      const writes = writeUntil(replica, () => !killed, durability)
      // Kill once plenty of writes were acknowledged, while the writers are still sending.
      await expect
        .poll(async () => (await send(shard.url, '/metrics')).body, { timeout: 30_000, interval: 50 })
        .toMatch(/shard_customers\{shard="0"\} ([5-9]\d|\d{3,})/)
      await crash(shard)
      killed = true
      const { versions } = await writes
      expect(versions.size).toBeGreaterThanOrEqual(50)

      const restarted = await startShard(shardArgs, Number(new URL(shard.url).port))
      await expect
        .poll(() => restarted.output().stderr)
        .toMatch(new RegExp(`durability ${durability}: replayed \\d+ changes from ${dataFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`))
      const lost: string[] = []
      for (const [id, version] of versions) {
        const read = await send(replica.url, `/customers/${id}`, { headers: { 'cache-control': 'no-cache' } })
        if (read.status !== 200 || (read.body as { version: number }).version < version)
          lost.push(`${id} v${version}: ${read.status} ${JSON.stringify(read.body)}`)
      }
      expect(lost, `${lost.length} of ${versions.size} acknowledged writes lost`).toEqual([])
    })
  }

  it('--durability none (the default) keeps nothing across a restart', async () => {
    const shard = await startShard([])
    const replica = await spawnRole('replica', ['--port', '0', '--shards', shard.url, '--partition', 'single'])
    const created = await send(replica.url, '/customers', { method: 'POST', body: { name: 'Gone', email: 'gone@durable.test', company: 'C', segment: 'smb' } })
    expect(created.status).toBe(201)
    await crash(shard)
    await startShard([], Number(new URL(shard.url).port))
    expect((await send(replica.url, `/customers/${(created.body as { id: string }).id}`)).status).toBe(404)
  })

  it('refuses inconsistent durability flags with exit 2 naming the flag', async () => {
    const noFile = await runToExit(['shard', '--port', '0', '--durability', 'always'])
    expect(noFile.code).toBe(2)
    expect(noFile.stderr).toMatch(/--durability always needs --data-file/)
    const noLevel = await runToExit(['shard', '--port', '0', '--data-file', path.join(dir, 'x.aof')])
    expect(noLevel.code).toBe(2)
    expect(noLevel.stderr).toMatch(/--data-file needs --durability everysec or always/)
    const badLevel = await runToExit(['shard', '--port', '0', '--durability', 'sometimes'])
    expect(badLevel.code).toBe(2)
    expect(badLevel.stderr).toMatch(/--durability/)
  })
})
