import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImages } from '../src/cli/images-command.js'
import { ContainerEnvironment } from '../src/environment/containers/container-environment.js'
import { dockerRuntime, type Dockerode } from '../src/environment/containers/docker-runtime.js'
import { harnessIdentity, LABEL_HARNESS, LABEL_RUN } from '../src/environment/containers/run-labels.js'
import { adminHeaders, type StartedEnvironment } from '../src/environment/environment.js'
import type { RunResult, SuiteResult } from '../src/results/results-schema.js'
import { runSuite } from '../src/runner/run-suite.js'
import { topologySchema } from '../src/scenario/scenario-schema.js'
import { validateScenario } from '../src/scenario/validate-scenario.js'
import { seedDataset } from '../src/workload/dataset.js'
import type { Workload } from '../src/workload/workload.js'
import { runLoadlab } from './support/run-fixtures.js'

// Real containers (Docker, Testcontainers, the images `loadlab images build` makes; .ci/run and
// `make test` start Docker and build them first). Without Docker these tests fail with the
// command that fixes it, like every test that needs a real server.

const STARTUP_MS = 15 * 60_000 // images are built here when missing: debootstrap alone takes minutes
const RUN_MS = 240_000

let docker: Dockerode
const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-containers-'))

beforeAll(async () => {
  docker = (await dockerRuntime()).docker
  // Cached: a no-op when .ci/run or `make test` built them already.
  await buildImages(['node', 'toxiproxy', 'haproxy', 'nginx', 'redis', 'postgres', 'crm'], false, () => undefined)
}, STARTUP_MS)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function containersOfRun(runId: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${runId}`] } })
  return list.map((c) => c.Names[0]!)
}

function readSuite(out: string): SuiteResult {
  return JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult
}

describe('images', () => {
  it(
    'are built once: a second build finds every input unchanged and keeps the image',
    async () => {
      const lines: string[] = []
      await buildImages(['node', 'toxiproxy', 'crm'], false, (line) => lines.push(line))
      expect(lines.filter((l) => l.startsWith('building'))).toEqual([])
      expect(lines).toContain('ok  loadlab/toxiproxy:2.5: up to date')
      const crm = lines.find((l) => l.startsWith('ok  loadlab/crm:'))!
      const before = await docker.getImage(crm.split(' ')[2]!).inspect()
      await buildImages(['crm'], false, () => undefined)
      expect((await docker.getImage(crm.split(' ')[2]!).inspect()).Id).toBe(before.Id)
    },
    RUN_MS,
  )
})

describe('quickstart --quick in containers', () => {
  it(
    'runs every cell in containers, records the images and leaves no container behind',
    async () => {
      const out = path.join(dir, 'quickstart')
      const run = runLoadlab(['run', 'quickstart', '--quick', '--env', 'containers', '--out', out])
      const code = await run.exited
      expect(code, run.stderr()).toBe(0)
      const suite = readSuite(out)
      expect(suite.runs.map((r) => r.status)).toEqual(['ok', 'ok', 'ok'])
      for (const r of suite.runs) {
        expect(r.topology.environment).toBe('containers')
        expect(r.metrics.http_reqs.count).toBeGreaterThan(0)
        const info = r.topology.containers!
        expect(info.network).toBe('host')
        expect(info.images.crm!.name).toMatch(/^loadlab\/crm:/)
        expect(['official', 'local']).toContain(info.images.crm!.source)
        // Each member's output is in the run folder; the replicas say where they listened.
        const logs = path.join(out, 'logs')
        const runDir = readdirSync(logs).find((d) => d.includes(r.cellLabel.replace(/\s+/g, '-')))!
        expect(readFileSync(path.join(logs, runDir, 'replica-1.log'), 'utf8')).toMatch(/LISTENING http:\/\/127\.0\.0\.1:\d+/)
        expect(await containersOfRun(info.runId)).toEqual([])
      }
      expect(suite.runs.find((r) => r.cellLabel === 'cache=lru')!.metrics.cache_hit_rate!.rate).toBeGreaterThan(0)
    },
    RUN_MS,
  )
})

describe('CPU quota', () => {
  let env: StartedEnvironment | null = null
  afterAll(async () => {
    await env?.stop()
  })

  it(
    'each replica gets its own 0.5 CPU quota from Docker and never uses more',
    async () => {
      // One topology, two replicas behind HAProxy; "1 replica" is the same topology with replica-2
      // drained. Without a cache every read makes the replica call a shard, so 64 connections ask
      // a replica for more than half a core: the quota is what limits it. How much more two
      // replicas serve than one is a throughput figure, which a shared machine bends: it is not
      // asserted here (a starved machine gave these replicas a quarter core each). What holds on
      // any machine is the quota itself: Docker gives each replica its own 0.5 CPU, and no replica
      // uses more, alone or beside the other.
      const topology = topologySchema.parse({
        replicas: 2,
        shards: 2,
        cache: { strategy: 'none' },
        balancer: { implementation: 'haproxy' },
        resources: { replica: { cpus: 0.5 } },
      })
      const signal = new AbortController().signal
      env = await new ContainerEnvironment({ logDir: path.join(dir, 'cpu'), faults: [], say: () => undefined }).start(topology, signal)
      const started = env
      const workload = {
        mix: { get_customer: 1 },
        keys: { kind: 'uniform' as const },
        datasetSize: 200,
        seed: 1,
        requestTimeoutMs: 5_000,
        load: { model: 'closed' as const, connections: 64, durationS: 1 },
      }
      const admin = started.adminEndpoint()
      const { customerIds } = await seedDataset(admin.url, workload, signal, { adminToken: admin.token })
      const requests = customerIds.map((id) => ({ method: 'GET' as const, path: `/customers/${id}` }))
      const members = started.members()
      const balancerAdmin = members.find((m) => m.name === 'balancer')!.metricsUrl!.replace(/\/metrics$/, '')
      const replica2 = members.find((m) => m.name === 'replica-2')!.url
      const replicaContainers = members.filter((m) => m.role === 'replica').map((m) => m.container!)
      for (const name of replicaContainers) expect((await docker.getContainer(name).inspect()).HostConfig.NanoCpus).toBe(500_000_000)
      const setReplicas = async (n: 1 | 2) => {
        const res = await request(`${balancerAdmin}/admin/backends/${n === 1 ? 'drain' : 'undrain'}`, {
          method: 'POST',
          headers: adminHeaders(admin.token),
          body: JSON.stringify({ url: replica2 }),
        })
        await res.body.text()
        expect(res.statusCode).toBe(200)
      }
      /** CPU seconds each replica container has used so far. */
      const replicaCpu = async () => {
        const stats = await Promise.all(replicaContainers.map((n) => docker.getContainer(n).stats({ stream: false })))
        return stats.map((st) => st.cpu_stats.cpu_usage.total_usage / 1e9)
      }
      /** Cores each replica used during a slice of load. */
      const slice = async (replicas: 1 | 2) => {
        await setReplicas(replicas)
        const before = await replicaCpu()
        const started2 = performance.now()
        const result = await autocannon({ url: started.entrypoint().origin, requests, connections: 64, duration: 2 })
        const seconds = (performance.now() - started2) / 1000
        expect(result.non2xx + result.errors).toBe(0)
        return (await replicaCpu()).map((cpu, i) => (cpu - before[i]!) / seconds)
      }
      const single: number[][] = []
      const double: number[][] = []
      for (let i = 0; i < 3; i++) {
        single.push(await slice(1))
        double.push(await slice(2))
      }
      const detail = `replica cores per slice, 1 replica: ${single.map((c) => c.map((x) => x.toFixed(2)).join('+')).join(', ')}; 2 replicas: ${double.map((c) => c.map((x) => x.toFixed(2)).join('+')).join(', ')}`
      // The quota holds: no replica ever used more than half a core (10% for the sampling's edges).
      for (const cores of [...single, ...double]) for (const c of cores) expect(c, detail).toBeLessThanOrEqual(0.55)
      // Both replicas served in the 2-replica slices (the drain was lifted).
      for (const cores of double) expect(cores[1], detail).toBeGreaterThan(0)
      expect(started.describe?.().containers?.resources).toEqual({ replica: { cpus: 0.5 } })
    },
    RUN_MS,
  )
})

describe('admin access and durable shards in containers', () => {
  let env: StartedEnvironment | null = null
  afterAll(async () => {
    await env?.stop()
  })

  it(
    'seeds through a replica with the per-start token, which no command line shows; a restarted durable shard keeps its writes',
    async () => {
      const logDir = path.join(dir, 'admin-durable')
      const topology = topologySchema.parse({ replicas: 2, shards: 1, partition: 'single', durability: 'always', cache: { strategy: 'none' } })
      const signal = new AbortController().signal
      env = await new ContainerEnvironment({ logDir, faults: [], say: () => undefined }).start(topology, signal)
      const admin = env.adminEndpoint()
      const replicaUrls = env
        .members()
        .filter((m) => m.role === 'replica')
        .map((m) => m.url)
      expect(replicaUrls).toContain(admin.url.origin)
      expect(admin.url.origin).not.toBe(env.entrypoint().origin)
      expect(admin.token).toMatch(/^[\w-]{32,}$/)

      const workload = { datasetSize: 20, seed: 7 } as Workload
      expect((await seedDataset(admin.url, workload, signal, { adminToken: admin.token })).customerIds).toHaveLength(20)
      await expect(seedDataset(admin.url, workload, signal, { adminToken: undefined, emailTag: 'no-token' })).rejects.toThrow(/HTTP 401/)
      await expect(seedDataset(env.entrypoint(), workload, signal, { adminToken: admin.token, emailTag: 'via-lb' })).rejects.toThrow(/HTTP 404/)
      for (const member of ['replica-1', 'shard-0']) {
        await expect(env.fault({ action: 'slow', member, factor: 1 })).resolves.toBe('service time x1')
      }
      // The token reaches each member through its environment; `docker inspect` and `ps` show its command.
      for (const member of env.members()) {
        const info = await docker.getContainer(member.container!).inspect()
        expect([info.Path, ...info.Args].join(' '), member.name).not.toContain(admin.token!)
      }

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
      // The shard's log is in the run folder, written from inside its container.
      expect(statSync(path.join(logDir, 'shard-0.aof')).size).toBeGreaterThan(0)
      await env.fault({ action: 'kill', member: 'shard-0' })
      await env.fault({ action: 'restart', member: 'shard-0' })
      for (const id of ids) {
        const read = await request(new URL(`/customers/${id}`, env.entrypoint()))
        expect(read.statusCode, id).toBe(200)
        await read.body.text()
      }
    },
    RUN_MS,
  )
})

describe('every kind of member in a container, and container faults', () => {
  let env: StartedEnvironment | null = null
  afterAll(async () => {
    await env?.stop()
  })

  it(
    'PostgreSQL shards, Redis, an nginx balancer and limited replicas serve; pause, resume and cpus act on the container',
    async () => {
      const logDir = path.join(dir, 'kinds')
      const topology = topologySchema.parse({
        replicas: 2,
        shards: 1,
        partition: 'single',
        store: 'postgres',
        cache: { strategy: 'redis' },
        balancer: { implementation: 'nginx' },
        resources: { replica: { cpus: 0.5, memoryMb: 256 } },
      })
      const signal = new AbortController().signal
      // PostgreSQL runs initdb on its first start: give it time on a busy machine.
      env = await new ContainerEnvironment({ logDir, faults: [], say: () => undefined, startupTimeoutMs: 180_000 }).start(topology, signal)
      const runId = env.describe!().containers!.runId
      const members = env.members()
      expect(members.map((m) => m.name).sort()).toEqual(['balancer', 'redis', 'replica-1', 'replica-2', 'shard-0'])
      const imageOf: Record<string, RegExp> = {
        balancer: /^loadlab\/crm-nginx:/,
        redis: /^loadlab\/redis:/,
        'shard-0': /^loadlab\/postgres:/,
        'replica-1': /^loadlab\/crm:/,
      }
      for (const m of members) {
        const info = await docker.getContainer(m.container!).inspect()
        expect(info.State.Running, m.name).toBe(true)
        expect(info.Config.Labels[LABEL_RUN]).toBe(runId)
        expect(info.HostConfig.NetworkMode).toBe('host')
        if (imageOf[m.name]) expect(info.Config.Image, m.name).toMatch(imageOf[m.name]!)
        expect(readFileSync(path.join(logDir, `${m.name}.log`), 'utf8').length, m.name).toBeGreaterThan(0)
      }

      const admin = env.adminEndpoint()
      const workload = { datasetSize: 20, seed: 3 } as Workload
      const { customerIds } = await seedDataset(admin.url, workload, signal, { adminToken: admin.token })
      for (const id of customerIds) {
        const read = await request(new URL(`/customers/${id}`, env.entrypoint()))
        expect(read.statusCode, id).toBe(200)
        await read.body.text()
      }

      const replica1 = members.find((m) => m.name === 'replica-1')!
      const limits = await docker.getContainer(replica1.container!).inspect()
      expect([limits.HostConfig.NanoCpus, limits.HostConfig.Memory]).toEqual([0.5e9, 256 * 1024 * 1024])
      await expect(env.fault({ action: 'cpus', member: 'replica-1', cpus: 0.25 })).resolves.toContain('--cpus 0.25')
      expect((await docker.getContainer(replica1.container!).inspect()).HostConfig.NanoCpus).toBe(0.25e9)

      // A paused replica holds the connection and answers nothing; resumed, it answers again.
      const probe = new URL(`/customers/${customerIds[0]}`, replica1.url)
      await env.fault({ action: 'pause', member: 'replica-1' })
      expect((await docker.getContainer(replica1.container!).inspect()).State.Paused).toBe(true)
      await expect(request(probe, { headersTimeout: 2_000 })).rejects.toThrow(/timeout/i)
      await env.fault({ action: 'resume', member: 'replica-1' })
      const resumed = await request(probe, { headersTimeout: 30_000 })
      expect(resumed.statusCode).toBe(200)
      await resumed.body.text()

      await env.stop()
      env = null
      expect(await containersOfRun(runId)).toEqual([])
    },
    RUN_MS,
  )
})

describe('loadlab doctor with Docker', () => {
  it(
    'names Docker and the images, and --clean removes the containers of a dead harness only',
    async () => {
      const labelled = async (runId: string, harness: string) =>
        docker.createContainer({
          Image: 'loadlab/debian:bookworm',
          Cmd: ['true'],
          name: `loadlab-${runId}-shard-0`,
          Labels: { [LABEL_RUN]: runId, [LABEL_HARNESS]: harness },
        })
      const dead = `doctor-dead-${process.pid}`
      const alive = `doctor-alive-${process.pid}`
      // No process has pid 4194304 (above Linux's pid_max): its harness is dead.
      const leftover = await labelled(dead, `${hostname()}/4194304/1`)
      const wanted = await labelled(alive, harnessIdentity())
      try {
        const run = runLoadlab(['doctor', '--clean'])
        expect(await run.exited, run.stderr()).toBe(0)
        expect(run.stdout()).toContain(`removed run ${dead}: 1 container(s) (its harness is gone)`)
        expect(run.stdout()).not.toContain(alive)
        expect(run.stdout()).toMatch(/ok\s+docker\s+Docker \d/)
        expect(run.stdout()).toMatch(/ok\s+image node\s+loadlab\/node:20 \(local\)/)
        expect(run.stdout()).toMatch(/ok\s+image crm\s+.*loadlab\/crm:\w+.* \(built here\)/)
        expect(await containersOfRun(dead)).toEqual([])
        expect(await containersOfRun(alive)).toHaveLength(1)
      } finally {
        await Promise.all([leftover, wanted].map((c) => c.remove({ force: true }).catch(() => undefined)))
      }
    },
    RUN_MS,
  )
})

describe('a member that does not start', () => {
  it(
    'fails the start with its log, and no container of the run is left',
    async () => {
      // The balancer refuses 3 weights for 2 backends (exit 2) after the shard and replicas started.
      const topology = topologySchema.parse({ replicas: 2, shards: 1, balancer: { strategy: 'weighted-round-robin', weights: [1, 2, 3] } })
      const start = new ContainerEnvironment({ logDir: path.join(dir, 'bad'), faults: [], say: () => undefined }).start(topology, new AbortController().signal)
      await expect(start).rejects.toThrow(
        /balancer \(container loadlab-.*-balancer, image loadlab\/crm:\w+\) did not start: its container exited \(code 2\)[\s\S]*weights/,
      )
      const mine = await docker.listContainers({ all: true, filters: { label: [`${LABEL_HARNESS}=${harnessIdentity()}`] } })
      expect(mine.map((c) => c.Names[0])).toEqual([])
    },
    RUN_MS,
  )
})

describe('network faults through Toxiproxy', () => {
  let run: RunResult
  const LATENCY_MS = 300

  beforeAll(async () => {
    const scenario = validateScenario(
      {
        name: 'network-faults',
        kind: 'failover',
        environment: 'containers',
        topology: { replicas: 1, shards: 1 },
        workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 200 },
        load: { model: 'open', rate: 30, durationS: 9 },
        faults: [
          { atS: 2, action: 'latency', link: 'replica-1 -> shard-0', latencyMs: LATENCY_MS },
          { atS: 4, action: 'partition', link: 'replica-1 -> shard-0' },
          { atS: 6, action: 'heal', link: 'replica-1 -> shard-0' },
        ],
      },
      null,
    )
    const outcome = await runSuite(scenario, { outDir: path.join(dir, 'network') })
    run = outcome.suite.runs[0]!
  }, RUN_MS)

  const second = (t: number) => run.timeSeries[t]

  it('a latency fault shows in p50 within a second of its start', async () => {
    expect(run.status).toBe('ok')
    // The run is over: its containers, Toxiproxy included, are gone.
    expect(await containersOfRun(run.topology.containers!.runId)).toEqual([])
    expect(run.topology.containers?.proxiedLinks).toEqual(['replica-1 -> shard-0'])
    const latency = run.faults.find((f) => f.action === 'latency')!
    expect(latency.ok, latency.error).toBe(true)
    const before = run.timeSeries.slice(0, Math.floor(latency.elapsedS))
    expect(
      before.every((p) => p.p50 < LATENCY_MS),
      `p50 before: ${before.map((p) => p.p50).join(', ')}`,
    ).toBe(true)
    // The first whole second after it started.
    expect(second(Math.ceil(latency.elapsedS))!.p50).toBeGreaterThanOrEqual(LATENCY_MS)
  })

  it('a partition turns into errors, and heal brings back error-free service', () => {
    const partition = run.faults.find((f) => f.action === 'partition')!
    const heal = run.faults.find((f) => f.action === 'heal')!
    expect([partition.ok, heal.ok]).toEqual([true, true])
    const cut = second(Math.ceil(partition.elapsedS))!
    expect(cut.errors).toBeGreaterThan(cut.reqs / 2)
    const after = run.timeSeries.slice(Math.ceil(heal.elapsedS) + 1)
    expect(after.length).toBeGreaterThanOrEqual(1)
    expect(
      after.every((p) => p.reqs > 0 && p.errors === 0),
      JSON.stringify(after),
    ).toBe(true)
  })
})

describe('bandwidth, timeout and reset on a link through Toxiproxy', () => {
  let env: StartedEnvironment | null = null
  afterAll(async () => {
    await env?.stop()
  })

  it(
    'a narrow link slows a large answer, a timeout or reset on it turns into errors, heal restores it',
    async () => {
      const link = 'replica-1 -> shard-0'
      const topology = topologySchema.parse({ replicas: 1, shards: 1 })
      const signal = new AbortController().signal
      env = await new ContainerEnvironment({ logDir: path.join(dir, 'link-faults'), faults: [{ atS: 0, action: 'reset', link }], say: () => undefined }).start(
        topology,
        signal,
      )
      const runId = env.describe!().containers!.runId
      const admin = env.adminEndpoint()
      await seedDataset(admin.url, { datasetSize: 100, seed: 5 } as Workload, signal, { adminToken: admin.token })
      // A search reads 100 customers from the shard, over the link.
      const search = async () => {
        const started = performance.now()
        const res = await request(new URL('/customers?limit=100', env!.entrypoint()), { headersTimeout: 60_000, bodyTimeout: 60_000 })
        const bytes = (await res.body.arrayBuffer()).byteLength
        return { status: res.statusCode, bytes, seconds: (performance.now() - started) / 1000 }
      }
      const open = await search()
      expect(open.status).toBe(200)

      const RATE_KBPS = 8
      await expect(env.fault({ action: 'bandwidth', link, rateKBps: RATE_KBPS })).resolves.toContain(`${RATE_KBPS} KB/s`)
      const narrow = await search()
      expect(narrow.status).toBe(200)
      // The shard's answer (about the replica's size) cannot cross faster than the rate allows; half of it as a floor.
      expect(narrow.seconds, `${open.bytes} bytes at ${RATE_KBPS} KB/s`).toBeGreaterThan((0.5 * open.bytes) / (RATE_KBPS * 1024))
      await env.fault({ action: 'heal', link })

      for (const fault of [
        { action: 'timeout' as const, timeoutMs: 500 },
        { action: 'reset' as const, timeoutMs: 0 },
      ]) {
        await env.fault({ ...fault, link })
        const cut = await search()
        expect(cut.status, fault.action).toBeGreaterThanOrEqual(500)
        await env.fault({ action: 'heal', link })
        expect((await search()).status, `after ${fault.action} and heal`).toBe(200)
      }

      await env.stop()
      env = null
      expect(await containersOfRun(runId)).toEqual([])
    },
    RUN_MS,
  )
})

describe('a harness stopped by a signal', () => {
  const scenarioFile = path.join(dir, 'long.mjs')
  const scenario = (durationS: number) =>
    `export default ${JSON.stringify({
      name: 'signals',
      kind: 'performance',
      environment: 'containers',
      topology: { replicas: 2, shards: 1 },
      workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 50 },
      load: { model: 'open', rate: 10, durationS },
    })}\n`

  /** Starts a long run and resolves, once it measures, with its run id (its containers: shard, 2 replicas, balancer). */
  async function longRun(out: string): Promise<{ victim: ReturnType<typeof runLoadlab>; runId: string }> {
    writeFileSync(scenarioFile, scenario(120))
    const victim = runLoadlab(['run', scenarioFile, '--out', out])
    try {
      await waitForOutput(victim, / s left/, 120_000)
      const all = await docker.listContainers({ all: true, filters: { label: [LABEL_HARNESS] } })
      const ours = all.filter((c) => c.Labels[LABEL_HARNESS]!.split('/')[1] === String(victim.child.pid))
      expect(ours.map((c) => c.Labels['loadlab.member']).sort()).toEqual(['balancer', 'replica-1', 'replica-2', 'shard-0'])
      return { victim, runId: ours[0]!.Labels[LABEL_RUN]! }
    } catch (error) {
      victim.child.kill('SIGKILL')
      throw error
    }
  }

  it(
    'SIGTERM: the run stops, its containers go, what was measured is written, exit 143',
    async () => {
      const out = path.join(dir, 'sigterm')
      const { victim, runId } = await longRun(out)
      victim.child.kill('SIGTERM')
      expect(await victim.exited).toBe(143)
      expect(await containersOfRun(runId)).toEqual([])
      const suite = readSuite(out)
      expect(suite.runs[0]!.status).toBe('aborted')
      expect(suite.runs[0]!.metrics.http_reqs.count).toBeGreaterThan(0)
    },
    RUN_MS,
  )

  it(
    'SIGKILL: the containers outlive the harness, and the next start removes them',
    async () => {
      const { victim, runId } = await longRun(path.join(dir, 'victim'))
      victim.child.kill('SIGKILL')
      await victim.exited
      // Nothing could clean up: the containers outlive their harness...
      expect((await containersOfRun(runId)).length).toBe(4)

      // ...until the next start.
      writeFileSync(scenarioFile, scenario(1))
      const next = runLoadlab(['run', scenarioFile, '--out', path.join(dir, 'next')])
      expect(await next.exited, next.stderr()).toBe(0)
      expect(next.stderr()).toContain(`left by run ${runId}`)
      expect(await containersOfRun(runId)).toEqual([])
    },
    RUN_MS,
  )
})

async function waitForOutput(run: ReturnType<typeof runLoadlab>, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!pattern.test(run.stderr())) {
    if (run.child.exitCode !== null) throw new Error(`loadlab exited (${run.child.exitCode}) early:\n${run.stderr()}`)
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs / 1000} s:\n${run.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
