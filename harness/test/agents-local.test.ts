import { afterEach, describe, expect, it } from 'vitest'
import { AgentEngine } from '../src/agents/agent-engine.js'
import type { EngineContext } from '../src/engines/load-engine.js'
import { RunRecorder } from '../src/metrics/run-recorder.js'
import { validityNotes } from '../src/runner/validity-notes.js'
import { seedDataset } from '../src/workload/dataset.js'
import { verifyWrites } from '../src/workload/verify-writes.js'
import { VersionTracker } from '../src/workload/version-tracker.js'
import type { Workload } from '../src/workload/workload.js'
import { isAlive } from './support/run-fixtures.js'
import { StubCrmServer } from './support/stub-crm-server.js'

// The harness's engine: the load runs in local agent processes that report over the agent
// protocol. What the agents together send must be the scenario's load, what the harness records
// must be what the server saw, and an agent that dies or hangs must be reported, never waited for.

const workload = (load: Workload['load'], mix: Workload['mix'] = { get_customer: 7, search_customers: 1, update_customer: 2 }): Workload => ({
  mix,
  keys: { kind: 'zipf', s: 1 },
  datasetSize: 200,
  seed: 3,
  load,
  requestTimeoutMs: 5000,
})

let stub: StubCrmServer | undefined
let engine: AgentEngine | undefined
afterEach(async () => {
  await engine?.close()
  engine = undefined
  await stub?.close()
  stub = undefined
})

async function setUp(w: Workload, signal = new AbortController().signal) {
  const target = await stub!.start()
  const dataset = await seedDataset(target, w, signal)
  const versions = new VersionTracker()
  const recorder = new RunRecorder(Date.now())
  const ctx: EngineContext = { sink: recorder, signal, dataset, versions }
  return { target, dataset, versions, recorder, ctx }
}

describe('load agents (local worker processes)', () => {
  it('two agents send the whole open-model schedule between them; the harness records what the server saw', async () => {
    stub = new StubCrmServer({ delayMs: 2 })
    const w = workload({ model: 'open', rate: 150, durationS: 2, maxInFlight: 40 })
    const { target, versions, recorder, ctx } = await setUp(w)
    engine = new AgentEngine({ engine: 'native', agents: 2 })
    const connectionsBeforePrepare = stub.stats.connections
    const requestsBeforePrepare = stub.stats.total
    await engine.prepare(w, target, ctx)
    const connectionsBeforeStart = stub.stats.connections
    const requestsBeforeStart = stub.stats.total
    // The agents' compiler warm-up runs against servers of their own: not one request reached the target.
    expect(requestsBeforeStart).toBe(requestsBeforePrepare)
    const summary = await engine.run(w, target, ctx)
    const r = recorder.finish(summary.durationS)

    expect(summary.agents?.map((a) => [a.index, a.status])).toEqual([
      [0, 'done'],
      [1, 'done'],
    ])
    // The slices add up to the plan: 300 arrivals, each sent or dropped exactly once.
    expect(summary.sent + summary.dropped).toBe(300)
    expect(summary.agents!.map((a) => a.sent + a.dropped)).toEqual([150, 150])
    expect(r.metrics.http_reqs.count + r.metrics.dropped_iterations.count).toBe(300)
    // Every response the harness recorded, the server served during the measured phase.
    expect(stub.stats.total - requestsBeforeStart).toBe(r.metrics.http_reqs.count)
    expect(r.metrics.http_req_failed.fails).toBe(0)
    // Warm start: the connections were open before the measured phase began.
    expect(connectionsBeforeStart - connectionsBeforePrepare).toBeGreaterThanOrEqual(2)
    expect(summary.connections?.warm).toBe(connectionsBeforeStart - connectionsBeforePrepare)
    expect(stub.stats.connections - connectionsBeforeStart).toBe(summary.connections?.openedDuringRun)
    // One series, both agents' requests in each second.
    expect(r.timeSeries.map((p) => p.elapsedS)).toEqual([0, 1])
    expect(r.timeSeries.reduce((a, p) => a + p.reqs + p.dropped, 0)).toBe(300)
    // Writes acknowledged to the agents reached the harness, and read back intact.
    expect(versions.size).toBeGreaterThan(0)
    const verified = await verifyWrites(target, versions, new AbortController().signal)
    expect(verified).toMatchObject({ count: 0, checked: versions.size })
    expect(summary.scheduleLag).toBeDefined()
    expect(validityNotes(r.metrics, summary, w.load, summary.durationS).some((n) => n.code === 'schedule-lag')).toBe(true)
  })

  it('closed model: three connections split 2 + 1 between two agents, all opened before the measured phase', async () => {
    stub = new StubCrmServer({ delayMs: 1 })
    const w = workload({ model: 'closed', connections: 3, durationS: 1 }, { get_customer: 1 })
    const { target, recorder, ctx } = await setUp(w)
    engine = new AgentEngine({ engine: 'autocannon', agents: 2 })
    const connectionsBeforePrepare = stub.stats.connections
    await engine.prepare(w, target, ctx)
    const connectionsBeforeStart = stub.stats.connections
    const summary = await engine.run(w, target, ctx)
    const r = recorder.finish(summary.durationS)
    expect(summary.agents?.map((a) => a.status)).toEqual(['done', 'done'])
    expect(summary.maxInFlight).toBe(3)
    expect(connectionsBeforeStart - connectionsBeforePrepare).toBe(3)
    expect(stub.stats.connections).toBe(connectionsBeforeStart)
    expect(summary.connections).toEqual({ warm: 3, openedDuringRun: 0 })
    expect(r.metrics.http_reqs.count).toBeGreaterThan(10)
  })

  it('uses no more agents than the load has connections', async () => {
    const e = new AgentEngine({ engine: 'autocannon', agents: 4 })
    expect(e.agentsFor(workload({ model: 'closed', connections: 2, durationS: 1 }))).toBe(2)
    expect(e.plan(workload({ model: 'closed', connections: 2, durationS: 1 }))[0]!.description).toMatch(/shared by 2 load agents/)
  })

  it('an agent killed mid-run is reported lost, its results until then are kept, and the run ends on time', async () => {
    stub = new StubCrmServer({ delayMs: 2 })
    const w = workload({ model: 'open', rate: 100, durationS: 4, maxInFlight: 40 }, { get_customer: 1 })
    const { target, recorder, ctx } = await setUp(w)
    engine = new AgentEngine({ engine: 'native', agents: 2, reportIntervalMs: 100 })
    await engine.prepare(w, target, ctx)
    const victim = engine.connectedAgents().find((a) => a.index === 1)!
    let killedAtTick = -1
    const summary = await engine.run(w, target, {
      ...ctx,
      onTick: (t) => {
        if (t.second === 1 && killedAtTick < 0) {
          killedAtTick = t.second
          process.kill(victim.pid, 'SIGKILL')
        }
      },
    })
    const r = recorder.finish(summary.durationS)
    expect(killedAtTick).toBe(1)
    const lost = summary.agents!.find((a) => a.index === 1)!
    expect(lost.status).toBe('lost')
    expect(lost.problem).toMatch(/lost .* into the measured phase/)
    expect(lost.problem).toMatch(/SIGKILL/)
    // What it reported before it died is in the run: about 2 s of its 50 req/s.
    expect(lost.sent).toBeGreaterThan(40)
    expect(lost.sent).toBeLessThan(200)
    expect(summary.agents!.find((a) => a.index === 0)).toMatchObject({ status: 'done', sent: 200 })
    expect(r.metrics.http_reqs.count).toBe(200 + lost.sent)
    expect(summary.durationS).toBeLessThan(4 + 3)
    const notes = validityNotes(r.metrics, summary, w.load, summary.durationS)
    expect(notes.find((n) => n.code === 'agent-lost')).toMatchObject({ level: 'error', message: expect.stringMatching(/load agent 1 .*lost/) })
    expect(isAlive(victim.pid)).toBe(false)
  })

  it('an agent that stops answering (SIGSTOP) is dropped after the silence limit instead of hanging the run', async () => {
    stub = new StubCrmServer({ delayMs: 2 })
    const w = workload({ model: 'open', rate: 40, durationS: 30, maxInFlight: 20 }, { get_customer: 1 })
    const { target, recorder, ctx } = await setUp(w)
    const ac = new AbortController()
    engine = new AgentEngine({ engine: 'native', agents: 2, reportIntervalMs: 100, silenceLimitMs: 1500 })
    await engine.prepare(w, target, { ...ctx, signal: ac.signal })
    const victim = engine.connectedAgents().find((a) => a.index === 0)!
    try {
      const summary = await engine.run(w, target, {
        ...ctx,
        signal: ac.signal,
        onTick: (t) => {
          if (t.second === 0) process.kill(victim.pid, 'SIGSTOP')
          // Once the frozen agent is dropped, end the run early: the test is about not waiting for it.
          if (t.second === 4) ac.abort()
        },
      })
      const frozen = summary.agents!.find((a) => a.index === 0)!
      expect(frozen.status).toBe('lost')
      expect(frozen.problem).toMatch(/no report for 1.5 s/)
      expect(summary.agents!.find((a) => a.index === 1)!.status).toBe('done')
      expect(recorder.finish(summary.durationS).metrics.http_reqs.count).toBeGreaterThan(0)
    } finally {
      if (isAlive(victim.pid)) process.kill(victim.pid, 'SIGCONT')
    }
  })

  it('a target that refuses connections fails the prepare step with the agent and the reason', async () => {
    stub = new StubCrmServer()
    const w = workload({ model: 'open', rate: 10, durationS: 1, maxInFlight: 4 }, { get_customer: 1 })
    const { ctx } = await setUp(w)
    engine = new AgentEngine({ engine: 'native', agents: 1 })
    await expect(engine.prepare(w, new URL('http://127.0.0.1:9'), ctx)).rejects.toThrow(/agent 0 of 1: cannot connect to 127.0.0.1:9: ECONNREFUSED/)
  })
})
