import { send } from './balancer-http.js'
import { spawnRole, type SpawnedRole } from './sut-processes.js'

/** One embedded shard server and N real CRM replicas over it, seeded with customers. */
export interface CrmCluster {
  shard: SpawnedRole
  replicas: SpawnedRole[]
  /** Ids of the seeded customers. */
  customerIds: string[]
  stop(): Promise<void>
}

/**
 * Spawns the BUILT system under test (`npm run build` first): a shard and `replicas` replicas with
 * the capacity model `--service-time constant:<serviceMs> --slots <slots>`, all sharing the shard
 * (`--partition single`) so any replica can serve any customer.
 */
export async function startCrmCluster(options: { replicas: number; serviceMs: number; slots: number; seedCustomers: number }): Promise<CrmCluster> {
  const started: SpawnedRole[] = []
  const stop = async () => {
    await Promise.allSettled(started.map((p) => p.stop()))
  }
  try {
    const shard = await spawnRole('shard', ['--port', '0'])
    started.push(shard)
    const replicas = await Promise.all(
      Array.from({ length: options.replicas }, (_, i) =>
        spawnRole('replica', [
          '--port',
          '0',
          '--name',
          `replica-${i + 1}`,
          '--shards',
          shard.url,
          '--partition',
          'single',
          '--service-time',
          `constant:${options.serviceMs}`,
          '--slots',
          String(options.slots),
          '--queue-limit',
          '256',
        ]).then((r) => (started.push(r), r)),
      ),
    )
    const createdAt = Date.parse('2026-01-01T00:00:00Z')
    const customers = Array.from({ length: options.seedCustomers }, (_, i) => ({
      name: `Seed ${i}`,
      email: `seed${i}@cluster.test`,
      company: 'LoadLab',
      segment: 'smb',
      createdAt: new Date(createdAt + i * 1000).toISOString(),
    }))
    const seeded = await send(replicas[0]!.url, '/admin/customers/bulk', { method: 'POST', body: { customers } })
    if (seeded.status !== 201) throw new Error(`seeding failed: ${seeded.status} ${JSON.stringify(seeded.body)}`)
    return { shard, replicas, customerIds: (seeded.body as { ids: string[] }).ids, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Kills a member like a crash (SIGKILL: no graceful close, open sockets cut). */
export async function crash(member: SpawnedRole): Promise<void> {
  const exited = new Promise<void>((resolve) => member.process.once('exit', () => resolve()))
  member.process.kill('SIGKILL')
  await exited
}
