import http from 'node:http'
import type net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { AgentEngine } from '../src/agents/agent-engine.js'
import { PROTOCOL_VERSION } from '../src/agents/agent-protocol.js'
import { RunRecorder } from '../src/metrics/run-recorder.js'
import { seedDataset } from '../src/workload/dataset.js'
import { VersionTracker } from '../src/workload/version-tracker.js'
import type { Workload } from '../src/workload/workload.js'
import { runLoadlab, type CliRun } from './support/run-fixtures.js'
import { StubCrmServer } from './support/stub-crm-server.js'

// Remote agents as a Kubernetes Indexed Job runs them: `loadlab agent` processes started on
// their own, finding their slice in flags or JOB_COMPLETION_INDEX, connecting to a coordinator
// that listens for them (`loadlab run --agents N --agent-listen HOST:PORT`).

const workload: Workload = {
  mix: { get_customer: 1 },
  keys: { kind: 'uniform' },
  datasetSize: 50,
  seed: 9,
  load: { model: 'open', rate: 60, durationS: 1, maxInFlight: 10 },
  requestTimeoutMs: 5000,
}

let stub: StubCrmServer | undefined
let engine: AgentEngine | undefined
const agents: CliRun[] = []
afterEach(async () => {
  await engine?.close()
  engine = undefined
  for (const a of agents.splice(0)) if (a.child.exitCode === null) a.child.kill('SIGKILL')
  await stub?.close()
  stub = undefined
})

/** A connection to the coordinator as an agent makes it, for a test to speak the protocol itself. */
function connectAsAgent(url: URL): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: Number(url.port), path: '/agents', headers: { Connection: 'Upgrade', Upgrade: 'loadlab-agent' } })
    req.on('upgrade', (_res, s: net.Socket) => resolve(s))
    req.on('error', reject)
    req.end()
  })
}

/** A stub CRM with its dataset seeded, and a coordinator for `agents` remote agents listening on loopback. */
async function coordinatorWithTarget(agents: number, token?: string) {
  stub = new StubCrmServer()
  const target = await stub.start()
  const signal = new AbortController().signal
  const dataset = await seedDataset(target, workload, signal)
  engine = new AgentEngine({ engine: 'native', agents, listen: { host: '127.0.0.1', port: 0 }, token, log: () => undefined })
  const url = await engine.listen()
  return { target, url, ctx: { signal, dataset, versions: new VersionTracker() } }
}

function agent(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const run = runLoadlab(['agent', ...args], { env })
  agents.push(run)
  return run
}

describe('loadlab agent (remote agents)', () => {
  it('two agents started on their own - one by --slice, one by JOB_COMPLETION_INDEX - run the load and exit 0 when the coordinator is done', async () => {
    const { target, url, ctx } = await coordinatorWithTarget(2, 's3cret')
    const a0 = agent(['--coordinator', url.href, '--slice', '0/2', '--name', 'pod-0'], { LOADLAB_AGENT_TOKEN: 's3cret' })
    const a1 = agent(['--coordinator', url.href, '--name', 'pod-1'], { LOADLAB_AGENT_TOKEN: 's3cret', JOB_COMPLETION_INDEX: '1', LOADLAB_AGENT_COUNT: '2' })
    const recorder = new RunRecorder(Date.now())
    const summary = await engine!.run(workload, target, { ...ctx, sink: recorder })
    expect(summary.agents?.map((a) => [a.index, a.name, a.status])).toEqual([
      [0, 'pod-0', 'done'],
      [1, 'pod-1', 'done'],
    ])
    expect(summary.sent + summary.dropped).toBe(60)
    expect(recorder.finish(summary.durationS).metrics.http_reqs.count).toBe(summary.sent)
    await engine!.close()
    engine = undefined
    expect(await a0.exited).toBe(0)
    expect(await a1.exited).toBe(0)
  })

  it('an agent sends its load to --target when the coordinator’s target is not reachable from where it runs', async () => {
    const { target, url, ctx } = await coordinatorWithTarget(1)
    agent(['--coordinator', url.href, '--slice', '0/1', '--target', target.href])
    const summary = await engine!.run(workload, new URL('http://127.0.0.1:9'), { ...ctx, sink: new RunRecorder(Date.now()) })
    expect(summary.agents?.[0]?.status).toBe('done')
    expect(stub!.stats.routes.get('GET /customers/:id')).toBe(summary.sent)
  })

  it('refuses an agent with the wrong token: the agent says why and exits 2', async () => {
    engine = new AgentEngine({ engine: 'native', agents: 1, listen: { host: '127.0.0.1', port: 0 }, token: 'right', log: () => undefined })
    const url = await engine.listen()
    const a = agent(['--coordinator', url.href, '--slice', '0/1'], { LOADLAB_AGENT_TOKEN: 'wrong' })
    expect(await a.exited).toBe(2)
    expect(a.stderr()).toMatch(/refused by the coordinator: wrong token/)
  })

  it('refuses an agent started for a different number of agents, naming the fix', async () => {
    engine = new AgentEngine({ engine: 'native', agents: 2, listen: { host: '127.0.0.1', port: 0 }, log: () => undefined })
    const url = await engine.listen()
    const a = agent(['--coordinator', url.href, '--slice', '0/3'])
    expect(await a.exited).toBe(2)
    expect(a.stderr()).toMatch(/started as one of 3, this run has 2 agents: start it with --slice 0\/2/)
  })

  it('answers a peer speaking another protocol version with a reject that says so', async () => {
    engine = new AgentEngine({ engine: 'native', agents: 1, listen: { host: '127.0.0.1', port: 0 }, log: () => undefined })
    const url = await engine.listen()
    const socket = await connectAsAgent(url)
    const reply = new Promise<string>((resolve) => {
      let text = ''
      socket.on('data', (c: Buffer) => (text += c.toString()))
      socket.on('close', () => resolve(text))
    })
    socket.write(
      `${JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION + 1, index: 0, count: 1, token: '', agent: { name: 'x', pid: 1, host: 'h', node: 'v', version: '9' } })}\n`,
    )
    const msg = JSON.parse((await reply).trim()) as { type: string; message: string }
    expect(msg.type).toBe('reject')
    expect(msg.message).toMatch(new RegExp(`protocol ${PROTOCOL_VERSION + 1}, this coordinator ${PROTOCOL_VERSION}: run the same LoadLab version`))
  })

  it('an agent that keeps reporting but never finishes its phase is told to stop past the planned end, then dropped as lost: the run returns', async () => {
    const { target, url, ctx } = await coordinatorWithTarget(1)
    // A wedged agent: it prepares and starts, then reports every 100 ms and ignores `stop`.
    const socket = await connectAsAgent(url)
    const received: string[] = []
    let reporting: NodeJS.Timeout | undefined
    const send = (msg: object): void => void socket.write(`${JSON.stringify(msg)}\n`)
    let buffered = ''
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const msg = JSON.parse(buffered.slice(0, nl)) as { type: string; phase?: number }
        buffered = buffered.slice(nl + 1)
        received.push(msg.type)
        if (msg.type === 'assign') send({ type: 'ready', phase: msg.phase })
        if (msg.type === 'start') reporting = setInterval(() => send({ type: 'progress', phase: msg.phase, delta: null, acks: [], created: [] }), 100)
      }
    })
    socket.on('close', () => clearInterval(reporting))
    send({ type: 'hello', protocol: PROTOCOL_VERSION, index: 0, count: 1, token: '', agent: { name: 'wedged', pid: 1, host: 'h', node: 'v', version: '0' } })
    const summary = await engine!.run({ ...workload, requestTimeoutMs: 500 }, target, { ...ctx, sink: new RunRecorder(Date.now()) })
    clearInterval(reporting)
    socket.destroy()
    expect(received).toContain('stop')
    expect(summary.agents?.map((a) => [a.name, a.status])).toEqual([['wedged', 'lost']])
    expect(summary.agents?.[0]?.problem).toMatch(/still running 5 s after being told to stop/)
    expect(summary.notes.join('\n')).toMatch(/still running 6\.5 s into a 1 s phase .*: they were stopped there/)
  }, 30_000)

  it('a plain HTTP request to the coordinator says what it is', async () => {
    engine = new AgentEngine({ engine: 'native', agents: 1, listen: { host: '127.0.0.1', port: 0 }, log: () => undefined })
    const url = await engine.listen()
    const text = await new Promise<string>((resolve, reject) => {
      http
        .get(url, (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () => resolve(body))
        })
        .on('error', reject)
    })
    expect(text).toMatch(new RegExp(`LoadLab coordinator, agent protocol ${PROTOCOL_VERSION}\\b`))
  })

  it('usage errors exit 2 and name the input and the fix', async () => {
    const none = agent([])
    expect(await none.exited).toBe(2)
    expect(none.stderr()).toMatch(/needs the coordinator's address: --coordinator http:\/\/HOST:PORT/)
    const slice = agent(['--coordinator', 'http://127.0.0.1:1', '--slice', '3/2'])
    expect(await slice.exited).toBe(2)
    expect(slice.stderr()).toMatch(/slice 3\/2: the index must be below the agent count/)
    const scheme = agent(['--coordinator', 'tcp://127.0.0.1:1', '--slice', '0/1'])
    expect(await scheme.exited).toBe(2)
    expect(scheme.stderr()).toMatch(/must be an http:\/\/ URL/)
  })
})
