import { describe, expect, it } from 'vitest'
import { ScenarioError } from './scenario-error.js'
import { validateScenario } from './validate-scenario.js'

// Fields renamed so each word has one meaning: a file with a former spelling loads to exactly
// the scenario the current spelling gives, and says once what to write instead.

const base = {
  name: 'x',
  kind: 'comparison',
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 100 },
  load: { model: 'closed', connections: 2, durationS: 5 },
}

/** The same scenario written with the current and with a former spelling. */
const CASES = [
  {
    old: 'topology.balancer.engine',
    note: 'topology.balancer.engine is deprecated, write topology.balancer.implementation instead',
    current: { ...base, topology: { replicas: 2, balancer: { strategy: 'p2c', implementation: 'haproxy' } } },
    former: { ...base, topology: { replicas: 2, balancer: { strategy: 'p2c', engine: 'haproxy' } } },
  },
  {
    old: 'topology.capacity',
    note: 'topology.capacity is deprecated, write topology.emulation instead',
    current: { ...base, topology: { emulation: { shard: { serviceTime: 'constant:3', slots: 2 } } } },
    former: { ...base, topology: { capacity: { shard: { serviceTime: 'constant:3', slots: 2 } } } },
  },
  {
    old: "matrix 'balancer.engine'",
    note: "matrix key 'balancer.engine' is deprecated, write 'balancer.implementation' instead",
    current: { ...base, topology: { replicas: 2 }, matrix: { 'balancer.implementation': ['builtin', 'nginx'] } },
    former: { ...base, topology: { replicas: 2 }, matrix: { 'balancer.engine': ['builtin', 'nginx'] } },
  },
  {
    old: "matrix 'capacity.*'",
    note: "matrix key 'capacity.replica.serviceTime' is deprecated, write 'emulation.replica.serviceTime' instead",
    current: { ...base, topology: {}, matrix: { replicas: [1, 2], 'emulation.replica.serviceTime': ['off', 'exp:2'] } },
    former: { ...base, topology: {}, matrix: { replicas: [1, 2], 'capacity.replica.serviceTime': ['off', 'exp:2'] } },
  },
  {
    old: "quick.matrix 'capacity.*'",
    note: "quick.matrix key 'capacity.shard.slots' is deprecated, write 'emulation.shard.slots' instead",
    current: { ...base, topology: {}, quick: { matrix: { 'emulation.shard.slots': [1, 4] } } },
    former: { ...base, topology: {}, quick: { matrix: { 'capacity.shard.slots': [1, 4] } } },
  },
  {
    old: "threshold tag 'balancer.engine'",
    note: "threshold tag 'balancer.engine' is deprecated, write 'balancer.implementation' instead",
    current: {
      ...base,
      topology: { replicas: 2 },
      matrix: { 'balancer.implementation': ['builtin', 'nginx'] },
      thresholds: { 'http_req_duration{balancer.implementation:nginx,op:get_customer}': ['p(95)<50'] },
    },
    former: {
      ...base,
      topology: { replicas: 2 },
      matrix: { 'balancer.implementation': ['builtin', 'nginx'] },
      thresholds: { 'http_req_duration{balancer.engine:nginx,op:get_customer}': ['p(95)<50'] },
    },
  },
  {
    old: "threshold tag 'engine:open'",
    note: "threshold tag 'engine:open' is deprecated, write 'engine:native' instead",
    current: { ...base, topology: {}, thresholds: { 'http_reqs{engine:native}': ['rate>10'] } },
    former: { ...base, topology: {}, thresholds: { 'http_reqs{engine:open}': ['rate>10'] } },
  },
] as const

describe('former spellings of renamed scenario fields', () => {
  for (const c of CASES) {
    it(`${c.old}: loads to the same scenario as the current spelling, with a deprecation note`, () => {
      const current = validateScenario(c.current, 'mine.ts')
      const former = validateScenario(c.former, 'mine.ts')
      expect(current.deprecations).toEqual([])
      expect(former.deprecations).toEqual([c.note])
      expect({ ...former, deprecations: [] }).toEqual(current)
    })
  }

  it('gives each note once, however many places use the former spelling, and leaves the file’s object as it was', () => {
    const former = {
      ...base,
      topology: { replicas: 2, balancer: { engine: 'nginx' }, capacity: { replica: { serviceTime: 'constant:1' } } },
      matrix: { 'balancer.engine': ['builtin', 'haproxy'], 'capacity.replica.slots': [1, 2], 'capacity.replica.queueLimit': [0, 8] },
    }
    const copy = structuredClone(former)
    const s = validateScenario(former, 'mine.ts')
    expect(former).toEqual(copy)
    expect(s.deprecations).toEqual([
      'topology.balancer.engine is deprecated, write topology.balancer.implementation instead',
      'topology.capacity is deprecated, write topology.emulation instead',
      "matrix key 'balancer.engine' is deprecated, write 'balancer.implementation' instead",
      "matrix key 'capacity.replica.slots' is deprecated, write 'emulation.replica.slots' instead",
      "matrix key 'capacity.replica.queueLimit' is deprecated, write 'emulation.replica.queueLimit' instead",
    ])
    expect(s.topology).toMatchObject({ balancer: { implementation: 'nginx' }, emulation: { replica: { serviceTime: 'constant:1', slots: 8, queueLimit: 64 } } })
    expect(Object.keys(s.matrix)).toEqual(['balancer.implementation', 'emulation.replica.slots', 'emulation.replica.queueLimit'])
  })

  it('refuses a former and a current spelling of the same field side by side, naming the former one', () => {
    expect(() => validateScenario({ ...base, topology: { emulation: {}, capacity: {} } }, 'mine.ts')).toThrow(ScenarioError)
    expect(() => validateScenario({ ...base, topology: { emulation: {}, capacity: {} } }, 'mine.ts')).toThrow(/capacity/)
    expect(() => validateScenario({ ...base, topology: { replicas: 2, balancer: { engine: 'nginx', implementation: 'nginx' } } }, 'mine.ts')).toThrow(/engine/)
  })

  it('keeps the capacity plan of a scale-out scenario, which is not a former spelling', () => {
    const s = validateScenario({ ...base, kind: 'scale-out', topology: {}, capacity: { targetRps: 500 } }, 'mine.ts')
    expect(s.capacity).toEqual({ targetRps: 500, headroom: 0.3 })
    expect(s.deprecations).toEqual([])
  })
})
