import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import type { StartedEnvironment } from '../src/environment/environment.js'
import { LocalEnvironment } from '../src/environment/local-environment.js'
import { topologySchema } from '../src/scenario/scenario-schema.js'
import { listeningAddresses } from './support/listening-sockets.js'
import { isAlive, pidsIn, runLoadlab, waitFor } from './support/run-fixtures.js'

// Sync strategy queue-push with broker kafka in a local topology: LoadLab formats and starts a real
// Apache Kafka node (KRaft, broker and controller in one JVM) whose every listener is on
// 127.0.0.1, a change written to the CRM reaches downstream through it, and stopping the topology
// stops the JVM and removes the broker's data.

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

describe('local environment: queue-push with broker kafka', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-kafka-env-'))
  const logDir = path.join(dir, 'logs')
  const pidFile = path.join(dir, 'pids.txt')
  /** The output folder of the run the last test kills. */
  const killedRunDir = path.join(dir, 'harness-killed')
  let env: StartedEnvironment | null = null

  afterAll(async () => {
    await env?.stop()
    for (const pid of [...pidsIn(pidFile), ...pidsIn(path.join(killedRunDir, 'pids.txt'))]) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs Kafka listening on 127.0.0.1 only, carries a change to downstream, and is gone after stop', async () => {
    const topology = topologySchema.parse({ replicas: 1, shards: 1, sync: { strategy: 'queue-push', broker: 'kafka' } })
    env = await new LocalEnvironment({ logDir, pidFile }).start(topology, new AbortController().signal)
    const kafka = env.members().find((m) => m.name === 'kafka')
    expect(kafka).toMatchObject({ role: 'kafka', metricsUrl: null, url: expect.stringMatching(/^kafka:\/\/127\.0\.0\.1:\d+$/) })
    const port = Number(/:(\d+)$/.exec(kafka!.url)![1])
    const pid = kafka!.pid!
    // Every socket the JVM listens on (the client listener and the KRaft controller's) is on loopback.
    const listening = listeningAddresses(pid)
    expect(listening).toContain(`127.0.0.1:${port}`)
    expect(listening.length).toBeGreaterThanOrEqual(2)
    expect(listening.filter((a) => !a.startsWith('127.0.0.1:'))).toEqual([])
    expect(existsSync(path.join(logDir, 'kafka', 'data'))).toBe(true)

    const crm = env.members().find((m) => m.name === 'replica-1')!.url
    const downstream = env.members().find((m) => m.name === 'downstream')!.url
    const created = await request(new URL('/customers', crm), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Grace Hopper', email: 'grace.kafka@example.com', company: 'Navy', segment: 'enterprise' }),
    })
    expect(created.statusCode).toBe(201)
    const { id } = (await created.body.json()) as { id: string }
    // Outbox -> Kafka -> consumer group -> downstream's store; generous bound for a busy machine.
    let held: { customer?: { name?: string } } | null = null
    for (let i = 0; i < 600 && held === null; i++) {
      const res = await request(new URL(`/records/${id}`, downstream))
      if (res.statusCode === 200) held = (await res.body.json()) as { customer?: { name?: string } }
      else await res.body.dump()
      if (held === null) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(held).toMatchObject({ id, customer: { name: 'Grace Hopper' } })

    await env.stop()
    env = null
    expect(isAlive(pid)).toBe(false)
    expect(await refused(port)).toBe(true)
    expect(pidsIn(pidFile).filter(isAlive)).toEqual([])
    expect(existsSync(path.join(logDir, 'kafka'))).toBe(false)
    expect(existsSync(path.join(logDir, 'kafka.log'))).toBe(true)
  }, 240_000)

  it('dies with a LoadLab run that is killed (SIGKILL): the JVM gets the parent-death signal', async () => {
    const scenario = path.join(dir, 'kafka-harness-killed.ts')
    writeFileSync(
      scenario,
      `export default ${JSON.stringify({
        name: 'kafka-harness-killed',
        kind: 'performance',
        topology: { replicas: 1, shards: 1, sync: { strategy: 'queue-push', broker: 'kafka' } },
        workload: { mix: { update_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 20 },
        load: { model: 'open', rate: 5, durationS: 120 },
      })}\n`,
    )
    const outDir = killedRunDir
    const run = runLoadlab(['run', scenario, '--out', outDir], { timeoutMs: 240_000 })
    const brokerPid = (): number | undefined => {
      const file = path.join(outDir, 'pids.txt')
      const line = (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n').find((l) => l.endsWith(' kafka'))
      return line === undefined ? undefined : Number(line.split(' ')[0])
    }
    // Killed once the broker is up: the topology is being seeded (progress goes to stderr).
    await waitFor(() => brokerPid() !== undefined && /seeding/.test(run.stderr()), 180_000, 'the run to start Kafka').catch((error: Error) => {
      throw new Error(`${error.message}\n${run.stderr()}`)
    })
    const pid = brokerPid()!
    expect(isAlive(pid)).toBe(true)
    run.child.kill('SIGKILL')
    await run.exited
    await waitFor(() => !isAlive(pid), 30_000, 'the Kafka JVM to die with its harness')
    await waitFor(() => pidsIn(path.join(outDir, 'pids.txt')).filter(isAlive).length === 0, 30_000, 'every member of the killed run to end')
  }, 300_000)
})
