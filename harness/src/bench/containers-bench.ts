import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { request } from 'undici'
import { buildImages } from '../cli/images-command.js'
import { removeRun } from '../environment/containers/container-reaper.js'
import { ContainerEnvironment } from '../environment/containers/container-environment.js'
import { dockerRuntime, type Dockerode } from '../environment/containers/docker-runtime.js'
import { harnessIdentity, LABEL_HARNESS, LABEL_MEMBER, LABEL_RUN, newRunId } from '../environment/containers/run-labels.js'
import { ADMIN_TOKEN_ENV, type AdminEndpoint, type StartedEnvironment } from '../environment/environment.js'
import { LocalEnvironment } from '../environment/local-environment.js'
import { topologySchema } from '../scenario/scenario-schema.js'
import { seedDataset } from '../workload/dataset.js'
import type { Workload } from '../workload/workload.js'

// `make bench` (containers part), with the images present:
// 1. start-up time of a 2-replica, 2-shard container topology (target <= 15 s, median of
//    BENCH_STARTS starts);
// 2. what running in a container costs one replica: req/s of a replica as a local process, in a
//    container on the host's network (what the containers environment does), and in a container
//    whose port is published on 127.0.0.1 (Docker's bridge and its userland proxy: the choice not
//    made). Short slices alternate between the three so neighbours' load hits all alike; the
//    median of the per-round ratios decides (target: host network >= 0.8 of local).
// Settings: BENCH_STARTS (3), BENCH_DURATION_S (6 s per target), BENCH_SLICE_S (2),
// BENCH_CONNECTIONS (32), BENCH_STARTUP_TARGET_S (15), BENCH_CONTAINER_RATIO_TARGET (0.8).
// The figures mean something only on a quiet machine.

const STARTS = envNumber('BENCH_STARTS', 3)
const DURATION_S = envNumber('BENCH_DURATION_S', 6)
const SLICE_S = envNumber('BENCH_SLICE_S', 2)
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 32)
const STARTUP_TARGET_S = envNumber('BENCH_STARTUP_TARGET_S', 15)
const RATIO_TARGET = envNumber('BENCH_CONTAINER_RATIO_TARGET', 0.8)

const CUSTOMERS = 500
const PUBLISHED_TOKEN = randomBytes(24).toString('base64url')
const WORKLOAD: Workload = {
  mix: { get_customer: 1 },
  keys: { kind: 'uniform' },
  datasetSize: CUSTOMERS,
  seed: 7,
  requestTimeoutMs: 5_000,
  load: { model: 'closed', connections: CONNECTIONS, durationS: DURATION_S },
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`${name}=${raw} is not valid: use a positive number\n`)
    process.exit(2)
  }
  return n
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const quiet = () => undefined

async function startupTimes(dir: string): Promise<number[]> {
  const topology = topologySchema.parse({ replicas: 2, shards: 2, cache: { strategy: 'lru' } })
  const times: number[] = []
  for (let i = 0; i < STARTS; i++) {
    const started = Date.now()
    const env = await new ContainerEnvironment({ logDir: path.join(dir, `start-${i}`), faults: [], say: quiet }).start(topology, new AbortController().signal)
    times.push((Date.now() - started) / 1000)
    await env.stop()
  }
  return times
}

interface Target {
  label: string
  paths: string[]
  url: string
  rps: number[]
}

/** Seeds a replica through its admin API, reads every customer once through `base` (warm cache) and returns the paths to load. */
async function seeded(base: URL, admin: AdminEndpoint): Promise<string[]> {
  const { customerIds } = await seedDataset(admin.url, WORKLOAD, new AbortController().signal, { adminToken: admin.token })
  await Promise.all(customerIds.map(async (id) => (await request(new URL(`/customers/${id}`, base))).body.text()))
  return Array.from({ length: 100 }, (_, i) => `/customers/${customerIds[(i * 7919) % customerIds.length]}`)
}

/** A shard and a replica on a Docker bridge network, the replica's port published on 127.0.0.1 only. */
async function startPublished(docker: Dockerode, runId: string, image: string): Promise<URL> {
  const labels = (member: string) => ({ [LABEL_RUN]: runId, [LABEL_MEMBER]: member, [LABEL_HARNESS]: harnessIdentity() })
  const network = await docker.createNetwork({ Name: `loadlab-${runId}`, Labels: labels('network') })
  const shard = await docker.createContainer({
    Image: image,
    name: `loadlab-${runId}-shard-0`,
    Labels: labels('shard-0'),
    Cmd: ['shard', '--host', '0.0.0.0', '--port', '7001'],
    Env: [`${ADMIN_TOKEN_ENV}=${PUBLISHED_TOKEN}`],
    HostConfig: { NetworkMode: network.id },
    NetworkingConfig: { EndpointsConfig: { [network.id]: { Aliases: ['shard-0'] } } },
  })
  await shard.start()
  const replica = await docker.createContainer({
    Image: image,
    name: `loadlab-${runId}-replica-1`,
    Labels: labels('replica-1'),
    Cmd: [
      'replica',
      '--host',
      '0.0.0.0',
      '--port',
      '8080',
      '--shards',
      'http://shard-0:7001',
      '--partition',
      'single',
      '--cache',
      'lru',
      '--cache-size',
      String(CUSTOMERS * 2),
    ],
    Env: [`${ADMIN_TOKEN_ENV}=${PUBLISHED_TOKEN}`],
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: { NetworkMode: network.id, PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  })
  await replica.start()
  const port = (await replica.inspect()).NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort
  if (!port) throw new Error('the published port did not appear')
  const url = new URL(`http://127.0.0.1:${port}`)
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      const res = await request(new URL('/ready', url), { headersTimeout: 1_000 })
      await res.body.text()
      if (res.statusCode === 200) return url
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`the published replica at ${url.href} did not become ready`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-containers-bench-'))
  const { docker } = await dockerRuntime()
  const say = (line: string) => process.stderr.write(`${line}\n`)
  const envs: StartedEnvironment[] = []
  const publishedRun = newRunId()
  let failed = false
  try {
    say('images (built once, cached after)...')
    await buildImages(['node', 'crm'], false, quiet)

    const times = await startupTimes(dir)
    const startup = median(times)
    const startupOk = startup <= STARTUP_TARGET_S
    process.stdout.write(
      `start-up, 2 replicas + 2 shards + balancer in containers: median ${startup.toFixed(1)} s ` +
        `(${times.map((t) => t.toFixed(1)).join(', ')} s; target <= ${STARTUP_TARGET_S} s) ${startupOk ? 'ok' : 'ABOVE TARGET'}\n`,
    )
    failed ||= !startupOk

    const one = topologySchema.parse({ replicas: 1, shards: 1, partition: 'single', cache: { strategy: 'lru', size: CUSTOMERS * 2 } })
    const signal = new AbortController().signal
    const local = await new LocalEnvironment({ logDir: path.join(dir, 'local') }).start(one, signal)
    envs.push(local)
    const container = await new ContainerEnvironment({ logDir: path.join(dir, 'container'), faults: [], say: quiet }).start(one, signal)
    envs.push(container)
    const crmImage = container.describe?.().containers?.images.crm?.name
    if (!crmImage) throw new Error('the container topology did not say its image')
    const published = await startPublished(docker, publishedRun, crmImage)

    const targets: Target[] = []
    const sides: Array<[string, URL, AdminEndpoint]> = [
      ['local process', local.entrypoint(), local.adminEndpoint()],
      ['container, host network', container.entrypoint(), container.adminEndpoint()],
      ['container, published port', published, { url: published, token: PUBLISHED_TOKEN }],
    ]
    for (const [label, base, admin] of sides) targets.push({ label, url: base.origin, paths: await seeded(base, admin), rps: [] })
    const rounds = Math.max(1, Math.round(DURATION_S / SLICE_S))
    say(`${rounds} rounds of ${SLICE_S} s per target, ${CONNECTIONS} connections...`)
    for (let round = 0; round < rounds; round++) {
      // Rotate who goes first, so no target always follows the same one.
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(round + k) % targets.length]!
        const result = await autocannon({ url: t.url, connections: CONNECTIONS, duration: SLICE_S, requests: t.paths.map((p) => ({ method: 'GET', path: p })) })
        if (result.non2xx + result.errors > 0)
          throw new Error(`${t.label}: ${result.non2xx} non-2xx answers and ${result.errors} errors: the figures are not comparable`)
        t.rps.push(result.requests.average)
      }
    }
    // One target per side, in the sides' order; every target ran every round.
    const [base, host, publish] = targets as [Target, Target, Target]
    const ratio = (t: Target) => median(t.rps.map((r, i) => r / base.rps[i]!))
    for (const t of targets)
      process.stdout.write(`${t.label.padEnd(26)} ${median(t.rps).toFixed(0).padStart(7)} req/s${t === base ? '' : `   x${ratio(t).toFixed(2)} of local`}\n`)
    const hostOk = ratio(host) >= RATIO_TARGET
    process.stdout.write(
      `one replica in a container (host network) vs a local process: x${ratio(host).toFixed(2)} (target >= ${RATIO_TARGET}) ${hostOk ? 'ok' : 'BELOW TARGET'}; published port: x${ratio(publish).toFixed(2)}\n`,
    )
    failed ||= !hostOk
  } finally {
    await Promise.all(envs.map((e) => e.stop()))
    await removeRun(docker, publishedRun).catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
  if (failed) process.exitCode = 99
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
