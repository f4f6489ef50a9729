import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImages } from '../src/cli/images-command.js'
import { ContainerEnvironment } from '../src/environment/containers/container-environment.js'
import { dockerRuntime, type Dockerode } from '../src/environment/containers/docker-runtime.js'
import { LABEL_RUN } from '../src/environment/containers/run-labels.js'
import type { StartedEnvironment } from '../src/environment/environment.js'
import type { RunResult } from '../src/results/results-schema.js'
import { runSuite } from '../src/runner/run-suite.js'
import { topologySchema } from '../src/scenario/scenario-schema.js'
import { validateScenario } from '../src/scenario/validate-scenario.js'
import { seedDataset } from '../src/workload/dataset.js'
import type { Workload } from '../src/workload/workload.js'

// The shared cache and the sync strategies' members in real containers (Docker, the images
// `loadlab images build` makes): memcached, the downstream system, RabbitMQ.

const STARTUP_MS = 15 * 60_000 // images are built here when missing
const RUN_MS = 300_000

let docker: Dockerode
const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-containers-sync-'))

beforeAll(async () => {
  docker = (await dockerRuntime()).docker
  // Cached: a no-op when .ci/run or `make test` built them already.
  await buildImages(['node', 'memcached', 'rabbitmq', 'kafka', 'crm'], false, () => undefined)
}, STARTUP_MS)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function containersOfRun(runId: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${runId}`] } })
  return list.map((c) => c.Names[0]!)
}

const IPV6_LOOPBACK = '00000000000000000000000001000000'
const IPV4_MAPPED = '0000000000000000FFFF0000'

/** The sockets of the host's network namespace (the containers share it) bound to `port`: "tcp 127.0.0.1", "udp 0.0.0.0", ... */
function socketsOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  const found: string[] = []
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const lines = readFileSync(`/proc/net/${proto}`, 'utf8').trim().split('\n').slice(1)
    for (const line of lines) {
      const [local, , state] = line.trim().split(/\s+/).slice(1, 4)
      const [addr, p] = local!.split(':')
      // TCP: listening sockets only (0A); UDP: any bound socket.
      if (p !== hexPort || (proto.startsWith('tcp') && state !== '0A')) continue
      // IPv4 (little-endian hex), IPv4-mapped IPv6 (a JVM's sockets), or IPv6.
      const v4 = addr!.length === 8 ? addr : addr!.startsWith(IPV4_MAPPED) ? addr!.slice(IPV4_MAPPED.length) : null
      const ip = v4
        ? v4
            .match(/../g)!
            .reverse()
            .map((h) => Number.parseInt(h, 16))
            .join('.')
        : addr === IPV6_LOOPBACK
          ? '::1'
          : `[${addr}]`
      found.push(`${proto.replace('6', '')} ${ip}`)
    }
  }
  return found
}

/** memcached's `stats` as numbers (get_hits, curr_items, ...). */
function memcachedStats(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let text = ''
    socket.setTimeout(5_000, () => socket.destroy(new Error('memcached: no answer to stats')))
    socket.once('error', reject)
    socket.once('connect', () => socket.write('stats\r\n'))
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      if (!text.endsWith('END\r\n')) return
      socket.destroy()
      const stats: Record<string, number> = {}
      for (const m of text.matchAll(/^STAT (\S+) (\S+)\r$/gm)) stats[m[1]!] = Number(m[2])
      resolve(stats)
    })
  })
}

async function getStatus(url: URL): Promise<number> {
  const res = await request(url, { headersTimeout: 30_000 })
  await res.body.text()
  return res.statusCode
}

describe('cache memcached in containers', () => {
  let env: StartedEnvironment | null = null
  afterAll(async () => {
    await env?.stop()
  })

  it(
    'one memcached container on 127.0.0.1 only (no UDP) is shared by two replica containers, survives kill and restart, and goes at stop',
    async () => {
      const topology = topologySchema.parse({ replicas: 2, shards: 1, partition: 'single', cache: { strategy: 'memcached' } })
      const signal = new AbortController().signal
      env = await new ContainerEnvironment({ logDir: path.join(dir, 'memcached'), faults: [], say: () => undefined }).start(topology, signal)
      const runId = env.describe!().containers!.runId
      const members = env.members()
      expect(members.map((m) => m.name).sort()).toEqual(['balancer', 'memcached', 'replica-1', 'replica-2', 'shard-0'])
      const memcached = members.find((m) => m.name === 'memcached')!
      expect(memcached.role).toBe('memcached')
      const port = Number(new URL(memcached.url).port)
      const info = await docker.getContainer(memcached.container!).inspect()
      expect(info.Config.Image).toMatch(/memcached/)
      expect(info.HostConfig.NetworkMode).toBe('host')
      expect(socketsOn(port)).toEqual(['tcp 127.0.0.1'])
      // The replicas are told where it is.
      for (const r of members.filter((m) => m.role === 'replica')) {
        const replica = await docker.getContainer(r.container!).inspect()
        expect(replica.Args.join(' '), r.name).toContain(`--cache memcached`)
        expect(replica.Args.join(' '), r.name).toContain(`--memcached 127.0.0.1:${port}`)
      }

      const admin = env.adminEndpoint()
      const { customerIds } = await seedDataset(admin.url, { datasetSize: 20, seed: 11 } as Workload, signal, { adminToken: admin.token })
      const [replica1, replica2] = members.filter((m) => m.role === 'replica').map((m) => m.url)
      const before = await memcachedStats(port)
      // replica-1 reads (and caches) each customer; replica-2 then finds them in the shared memcached.
      for (const id of customerIds) expect(await getStatus(new URL(`/customers/${id}`, replica1))).toBe(200)
      for (const id of customerIds) expect(await getStatus(new URL(`/customers/${id}`, replica2))).toBe(200)
      const after = await memcachedStats(port)
      expect(after.get_hits! - before.get_hits!).toBeGreaterThanOrEqual(customerIds.length)

      // Faults act on its container like on redis's; restarted, it serves (empty) on the same port.
      await expect(env.fault({ action: 'pause', member: 'memcached' })).resolves.toContain('docker pause')
      await expect(env.fault({ action: 'resume', member: 'memcached' })).resolves.toContain('docker unpause')
      await expect(env.fault({ action: 'kill', member: 'memcached' })).resolves.toContain('docker kill')
      expect((await docker.getContainer(memcached.container!).inspect()).State.Running).toBe(false)
      await expect(env.fault({ action: 'restart', member: 'memcached' })).resolves.toContain('docker restart')
      expect(socketsOn(port)).toEqual(['tcp 127.0.0.1'])
      for (const id of customerIds) expect(await getStatus(new URL(`/customers/${id}`, replica1))).toBe(200)
      expect((await memcachedStats(port)).curr_items).toBeGreaterThan(0)
      await expect(env.fault({ action: 'slow', member: 'memcached', factor: 2 })).rejects.toThrow(/no service-time model/)

      await env.stop()
      env = null
      expect(await containersOfRun(runId)).toEqual([])
    },
    RUN_MS,
  )
})

const writeHeavy = {
  mix: { update_customer: 60, create_customer: 20, get_customer: 20 },
  keys: { kind: 'uniform' },
  datasetSize: 200,
  seed: 7,
}

/** Runs a one-cell scenario in containers; every container of the run is gone afterwards. */
async function runInContainers(scenario: Record<string, unknown>): Promise<RunResult> {
  const { suite } = await runSuite(validateScenario({ ...scenario, environment: 'containers' }, null), { outDir: path.join(dir, String(scenario.name)) })
  const run = suite.runs[0]!
  expect(run.topology.environment).toBe('containers')
  expect(await containersOfRun(run.topology.containers!.runId), 'every container of the run is removed').toEqual([])
  return run
}

describe('sync strategies in containers', () => {
  it(
    'sync-call: with the downstream container killed, writes fail with 503 and are reported as errors; no acknowledged write is missing downstream',
    async () => {
      const run = await runInContainers({
        name: 'sync-call-downstream-kill',
        kind: 'failover',
        topology: { replicas: 1, shards: 1, sync: { strategy: 'sync-call' } },
        workload: writeHeavy,
        load: { model: 'open', rate: 30, durationS: 8 },
        faults: [
          { atS: 2, action: 'kill', member: 'downstream' },
          { atS: 5, action: 'restart', member: 'downstream' },
        ],
      })
      expect(run.status, run.error).toBe('ok')
      expect(run.topology.containers!.images.crm!.name).toMatch(/^loadlab\/crm:/)
      expect(run.faults.map((f) => [f.action, f.ok, f.detail])).toEqual([
        ['kill', true, expect.stringContaining('docker kill')],
        ['restart', true, expect.stringContaining('docker restart')],
      ])
      expect(run.metrics.status_counts['503'] ?? 0).toBeGreaterThan(0)
      expect(run.metrics.http_req_failed.fails).toBeGreaterThanOrEqual(run.metrics.status_counts['503'] ?? 0)
      expect(run.perOperation.update_customer?.http_req_failed.fails ?? 0).toBeGreaterThan(0)
      expect(run.metrics.sync_missing?.checked).toBeGreaterThan(0)
      expect(run.metrics.sync_missing?.count, run.sync?.note).toBe(0)
      // Downstream held each acknowledged version before the client had its answer.
      expect(run.metrics.sync_lag?.max).toBe(0)
    },
    RUN_MS,
  )

  it(
    'scheduled-pull: the downstream container pulls every acknowledged change from the replica containers',
    async () => {
      const run = await runInContainers({
        name: 'scheduled-pull',
        kind: 'performance',
        topology: { replicas: 2, shards: 2, sync: { strategy: 'scheduled-pull', intervalMs: 200 } },
        workload: writeHeavy,
        load: { model: 'open', rate: 30, durationS: 4 },
      })
      expect(run.status, run.error).toBe('ok')
      expect(run.metrics.http_req_failed.fails).toBe(0)
      expect(run.metrics.sync_missing?.checked).toBeGreaterThan(0)
      expect(run.metrics.sync_missing?.count, run.sync?.note).toBe(0)
      // Pulled on a schedule: changes reach downstream after their acknowledgement.
      expect(run.metrics.sync_lag?.count).toBeGreaterThan(0)
      expect(run.metrics.sync_lag?.max).toBeGreaterThan(0)
    },
    RUN_MS,
  )
})

describe('queue-push through a RabbitMQ container', () => {
  let env: StartedEnvironment | null = null
  afterAll(async () => {
    await env?.stop()
  })

  it(
    'the broker listens on 127.0.0.1 only (AMQP, Erlang distribution, epmd); the shards publish to it, downstream consumes from it',
    async () => {
      const topology = topologySchema.parse({ replicas: 1, shards: 1, sync: { strategy: 'queue-push', broker: 'rabbitmq' } })
      const signal = new AbortController().signal
      env = await new ContainerEnvironment({ logDir: path.join(dir, 'rabbitmq'), faults: [], say: () => undefined }).start(topology, signal)
      const runId = env.describe!().containers!.runId
      const members = env.members()
      expect(members.map((m) => m.name).sort()).toEqual(['downstream', 'rabbitmq', 'replica-1', 'shard-0'])
      const broker = members.find((m) => m.name === 'rabbitmq')!
      expect(broker.url).toMatch(/^amqp:\/\/guest:guest@127\.0\.0\.1:\d+$/)
      const info = await docker.getContainer(broker.container!).inspect()
      const envOf = Object.fromEntries(info.Config.Env.map((e) => e.split(/=(.*)/s).slice(0, 2)))
      const ports = [Number(new URL(broker.url).port), Number(envOf.RABBITMQ_DIST_PORT), Number(envOf.ERL_EPMD_PORT)]
      // epmd also takes IPv6's loopback when there is one: loopback all the same.
      for (const port of ports)
        expect(
          socketsOn(port).filter((s) => s !== 'tcp ::1'),
          `port ${port}`,
        ).toEqual(['tcp 127.0.0.1'])
      const shard = await docker.getContainer(members.find((m) => m.name === 'shard-0')!.container!).inspect()
      expect(shard.Args.join(' ')).toContain(`--publish-to ${broker.url}`)
      const downstream = await docker.getContainer(members.find((m) => m.name === 'downstream')!.container!).inspect()
      expect(downstream.Args.join(' ')).toContain(`--consume ${broker.url}`)
      // No plugin runs: no Prometheus (15692) or management (15672) listener on every interface.
      expect([...socketsOn(15692), ...socketsOn(15672)]).toEqual([])

      await env.stop()
      env = null
      expect(await containersOfRun(runId)).toEqual([])
    },
    RUN_MS,
  )

  it(
    'RabbitMQ killed mid-run and restarted: writes keep succeeding and nothing acknowledged is missing after the drain',
    async () => {
      await expectBrokerOutageLosesNothing('rabbitmq')
    },
    RUN_MS,
  )
})

describe('queue-push through a Kafka container', () => {
  let env: StartedEnvironment | null = null
  afterAll(async () => {
    await env?.stop()
  })

  it(
    'the broker and its controller listen on 127.0.0.1 only; shards publish to it, downstream consumes; its files go at stop',
    async () => {
      const topology = topologySchema.parse({ replicas: 1, shards: 1, sync: { strategy: 'queue-push', broker: 'kafka' } })
      const logDir = path.join(dir, 'kafka')
      env = await new ContainerEnvironment({ logDir, faults: [], say: () => undefined }).start(topology, new AbortController().signal)
      const runId = env.describe!().containers!.runId
      const members = env.members()
      expect(members.map((m) => m.name).sort()).toEqual(['downstream', 'kafka', 'replica-1', 'shard-0'])
      const broker = members.find((m) => m.name === 'kafka')!
      expect(broker.url).toMatch(/^kafka:\/\/127\.0\.0\.1:\d+$/)
      const properties = readFileSync(path.join(logDir, 'kafka', 'server.properties'), 'utf8')
      const controller = Number(/^controller\.quorum\.voters=1@127\.0\.0\.1:(\d+)$/m.exec(properties)![1])
      for (const port of [Number(new URL(broker.url).port), controller]) expect(socketsOn(port), `port ${port}`).toEqual(['tcp 127.0.0.1'])
      const shard = await docker.getContainer(members.find((m) => m.name === 'shard-0')!.container!).inspect()
      expect(shard.Args.join(' ')).toContain(`--publish-to ${broker.url}`)
      const downstream = await docker.getContainer(members.find((m) => m.name === 'downstream')!.container!).inspect()
      expect(downstream.Args.join(' ')).toContain(`--consume ${broker.url}`)

      await env.stop()
      env = null
      expect(await containersOfRun(runId)).toEqual([])
      expect(existsSync(path.join(logDir, 'kafka'))).toBe(false)
      expect(readFileSync(path.join(logDir, 'kafka.log'), 'utf8')).toMatch(/Kafka Server started/)
    },
    RUN_MS,
  )

  it(
    'Kafka killed mid-run and restarted: writes keep succeeding and nothing acknowledged is missing after the drain',
    async () => {
      await expectBrokerOutageLosesNothing('kafka')
    },
    RUN_MS,
  )
})

/** queue-push with the broker's container killed at 2 s and restarted at 4 s: what either broker must guarantee (as with local processes). */
async function expectBrokerOutageLosesNothing(broker: 'rabbitmq' | 'kafka'): Promise<void> {
  const run = await runInContainers({
    name: `queue-push-${broker}-kill`,
    kind: 'failover',
    topology: { replicas: 1, shards: 2, sync: { strategy: 'queue-push', broker, drainTimeoutS: 120 } },
    workload: writeHeavy,
    load: { model: 'open', rate: 30, durationS: 10 },
    faults: [
      { atS: 2, action: 'kill', member: broker },
      { atS: 4, action: 'restart', member: broker },
    ],
  })
  expect(run.status, run.error).toBe('ok')
  expect(run.sync?.broker).toBe(broker)
  expect(run.topology.containers!.images[broker]!.name).toMatch(new RegExp(broker))
  expect(run.faults.map((f) => [f.action, f.ok, f.detail])).toEqual([
    ['kill', true, expect.stringContaining('docker kill')],
    ['restart', true, expect.stringContaining('docker restart')],
  ])
  // The CRM never waited for the broker: no write failed because it was gone.
  expect(run.metrics.status_counts['503'] ?? 0).toBe(0)
  // While it was down the changes waited in the outbox: the backlog grew past what normal delivery leaves.
  expect(Math.max(...run.sync!.backlog)).toBeGreaterThan(5)
  const acknowledged = (run.metrics.status_counts['200'] ?? 0) + (run.metrics.status_counts['201'] ?? 0)
  expect(acknowledged).toBeGreaterThan(0)
  expect(run.metrics.sync_missing?.checked).toBeGreaterThan(0)
  expect(run.metrics.sync_missing?.count, run.sync?.note).toBe(0)
  expect(run.sync?.drainS).not.toBeNull()
  expect(run.metrics.sync_lag?.count).toBeGreaterThan(0)
}
