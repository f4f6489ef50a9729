import { describe, expect, it } from 'vitest'
import { ScenarioError } from './scenario-error.js'
import { validateScenario } from './validate-scenario.js'

const base = {
  name: 'x',
  kind: 'failover',
  topology: { replicas: 2, shards: 2 },
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 100 },
  load: { model: 'closed', connections: 2, durationS: 5 },
}

function problems(input: object, overrides = {}): string {
  try {
    validateScenario(input, 'mine.ts', overrides)
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError)
    return (error as Error).message
  }
  throw new Error('expected the scenario to be refused')
}

describe('environment, resources and faults in a scenario', () => {
  it('runs locally by default; `environment` or --env picks containers', () => {
    expect(validateScenario(base, null).environment).toBe('local')
    expect(validateScenario({ ...base, environment: 'containers' }, null).environment).toBe('containers')
    expect(validateScenario(base, null, { environment: 'containers' }).environment).toBe('containers')
    expect(validateScenario({ ...base, environment: 'containers' }, null, { environment: 'local' }).environment).toBe('local')
  })

  it('takes resources per member kind in containers, and fills no limit by default', () => {
    const s = validateScenario(
      { ...base, environment: 'containers', topology: { ...base.topology, resources: { replica: { cpus: 0.5, memoryMb: 256 } } } },
      null,
    )
    expect(s.topology!.resources).toEqual({ replica: { cpus: 0.5, memoryMb: 256 } })
    expect(validateScenario(base, null).topology!.resources).toEqual({})
  })

  it('refuses resources, network faults and cpus faults on local processes, saying how to get them', () => {
    const text = problems({
      ...base,
      topology: { ...base.topology, resources: { replica: { cpus: 0.5 } } },
      faults: [
        { atS: 1, action: 'latency', link: 'replica-1 -> shard-0', latencyMs: 2 },
        { atS: 2, action: 'cpus', member: 'replica-1', cpus: 0.25 },
      ],
    })
    expect(text).toMatch(
      /topology\.resources: CPU and memory limits need containers, but environment "local" runs local processes; set `environment: 'containers'`/,
    )
    expect(text).toMatch(/faults\[0\]: "latency" is a network fault/)
    expect(text).toMatch(/faults\[1\]: "cpus" changes a container's CPU quota/)
    // With the flag, the message names the flag.
    expect(problems({ ...base, matrix: { 'resources.replica.cpus': [0.5, 1] } }, { environment: 'local' })).toMatch(
      /--env local runs local processes; run it with --env containers/,
    )
  })

  it('checks each fault: its target, the parameter it needs and none it does not take', () => {
    const text = problems({
      ...base,
      environment: 'containers',
      faults: [
        { atS: 1, action: 'latency', link: 'replica-1 -> shard-0' },
        { atS: 1, action: 'partition', link: 'shard-0 -> replica-1' },
        { atS: 1, action: 'kill', link: 'replica-1 -> shard-0' },
        { atS: 1, action: 'heal' },
        { atS: 1, action: 'kill', member: 'replica-1', latencyMs: 5 },
        { atS: 1, action: 'cpus', member: 'replica-1' },
        { atS: 1, action: 'bandwidth', member: 'redis', link: 'replicas -> redis', rateKBps: 10 },
      ],
    })
    expect(text).toContain('faults[0].latencyMs: a "latency" fault needs `latencyMs`')
    expect(text).toContain('faults[1].link = "shard-0 -> replica-1": there is no link from shard-0 to replica-1')
    expect(text).toContain('faults[2].member: a "kill" fault needs `member`')
    expect(text).toContain('faults[2].link = "replica-1 -> shard-0": `link` is for network faults')
    expect(text).toContain('faults[3].link: a "heal" fault needs either `link`')
    expect(text).toContain('faults[4].latencyMs = 5: `latencyMs` is for latency faults, not "kill": remove it')
    expect(text).toContain('faults[5].cpus: a "cpus" fault needs `cpus`')
    expect(text).toContain('faults[6].link = "replicas -> redis": a "bandwidth" fault needs either `link`')
  })

  it('accepts a network fault on a member (every link into or out of it) and on a link group', () => {
    const s = validateScenario(
      {
        ...base,
        environment: 'containers',
        faults: [
          { atS: 1, action: 'partition', member: 'shard-0' },
          { atS: 2, action: 'latency', link: 'replicas -> shards', latencyMs: 2, jitterMs: 1 },
          { atS: 3, action: 'heal', member: 'shard-0' },
        ],
      },
      null,
    )
    expect(s.faults.map((f) => f.action)).toEqual(['partition', 'latency', 'heal'])
  })

  it('takes standing link conditions in containers, in whole milliseconds, on links that exist', () => {
    const s = validateScenario(
      { ...base, environment: 'containers', topology: { ...base.topology, links: { 'replicas -> redis': { latencyMs: 2, jitterMs: 1 } } } },
      null,
    )
    expect(s.topology!.links).toEqual({ 'replicas -> redis': { latencyMs: 2, jitterMs: 1 } })
    const text = problems({
      ...base,
      environment: 'containers',
      topology: { ...base.topology, links: { 'replicas -> redis': { latencyMs: 1.5 }, 'redis -> replicas': { latencyMs: 1 }, 'replica-1 -> shard-0': {} } },
    })
    expect(text).toMatch(/topology\.links\["replicas -> redis"\]\.latencyMs = 1\.5: whole milliseconds/)
    expect(text).toMatch(/no link from redis to replicas/)
    expect(text).toMatch(/give `latencyMs` \(and `jitterMs`\) and\/or `rateKBps`/)
    expect(problems({ ...base, topology: { ...base.topology, links: { 'replicas -> redis': { latencyMs: 2 } } } })).toMatch(
      /topology\.links: link latency and bandwidth go through Toxiproxy between containers/,
    )
  })

  it('refuses containers for a scenario with an external target', () => {
    const { topology: _t, ...withoutTopology } = base
    expect(problems({ ...withoutTopology, faults: [], target: 'http://127.0.0.1:8080' }, { environment: 'containers' })).toMatch(
      /--env containers starts a topology, but "x" uses an external `target`/,
    )
  })
})
