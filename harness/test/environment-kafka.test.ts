import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import type { StartedEnvironment } from '../src/environment/environment.js'
import { LocalEnvironment } from '../src/environment/local-environment.js'
import { topologySchema } from '../src/scenario/scenario-schema.js'
import type { Topology } from '../src/scenario/scenario.js'
import { listeningAddresses } from './support/listening-sockets.js'
import { isAlive, pidsIn } from './support/run-fixtures.js'

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
  let env: StartedEnvironment | null = null

  afterAll(async () => {
    await env?.stop()
    for (const pid of pidsIn(pidFile)) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs Kafka listening on 127.0.0.1 only, carries a change to downstream, and is gone after stop', async () => {
    const topology = topologySchema.parse({ replicas: 1, shards: 1, sync: { strategy: 'queue-push', broker: 'kafka' } }) as Topology
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
})
