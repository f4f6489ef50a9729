import { describe, expect, it } from 'vitest'
import { applyQuick } from '../src/scenario/apply-quick.js'
import { loadScenario } from '../src/scenario/load-scenario.js'
import { expandMatrix, planRuns } from '../src/scenario/plan-runs.js'
import { validateScenario } from '../src/scenario/validate-scenario.js'

const base = {
  name: 'plan',
  kind: 'comparison',
  topology: { replicas: 1, cache: { size: 50 } },
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 100 },
  load: { model: 'closed', connections: 2, durationS: 1 },
}

describe('run plan', () => {
  it('expands every combination of the matrix, in order', () => {
    expect(expandMatrix({ a: [1, 2], b: ['x', 'y', 'z'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'z' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 2, b: 'z' },
    ])
    expect(expandMatrix({})).toEqual([{}])
  })

  it('gives each cell its own topology and readable labels, repeated per repetition', () => {
    const s = validateScenario({ ...base, repetitions: 2, matrix: { 'cache.strategy': ['none', 'lru'], replicas: [1, 3] } }, 'f.ts')
    const plan = planRuns(s)
    expect(plan.runs).toHaveLength(8)
    // Interleaved, alternating direction: drift lands on every cell alike.
    expect(plan.runs.map((r) => r.id)).toEqual([
      'cache=none replicas=1 #1',
      'cache=none replicas=3 #1',
      'cache=lru replicas=1 #1',
      'cache=lru replicas=3 #1',
      'cache=lru replicas=3 #2',
      'cache=lru replicas=1 #2',
      'cache=none replicas=3 #2',
      'cache=none replicas=1 #2',
    ])
    const lru3 = plan.runs.find((r) => r.cellLabel === 'cache=lru replicas=3')!
    expect(lru3.topology).toMatchObject({ replicas: 3, cache: { strategy: 'lru', size: 50 } })
    expect(new Set(plan.runs.map((r) => r.id)).size).toBe(8)
  })

  it('warms up at least warmup.durationS and at most warmup.maxS (default three times the minimum)', () => {
    const adaptive = planRuns(validateScenario({ ...base, warmup: { durationS: 3 } }, 'f.ts')).runs[0]
    expect(adaptive).toMatchObject({ warmupS: 3, warmupMaxS: 9 })
    const fixed = planRuns(validateScenario({ ...base, warmup: { durationS: 3, maxS: 3 } }, 'f.ts')).runs[0]
    expect(fixed).toMatchObject({ warmupS: 3, warmupMaxS: 3 })
    expect(() => validateScenario({ ...base, warmup: { durationS: 5, maxS: 2 } }, 'f.ts')).toThrow(/warmup.maxS must be at least warmup.durationS/)
  })

  it('fills an emulation field varied by the matrix with its defaults', () => {
    const s = validateScenario({ ...base, matrix: { 'emulation.replica.slots': [2, 4] } }, 'f.ts')
    expect(planRuns(s).runs[1]!.topology?.emulation.replica).toEqual({ serviceTime: 'off', slots: 4, queueLimit: 64 })
  })

  it('turns a stress scenario into rate steps with an open load, each ramp in rising order', async () => {
    const s = await loadScenario('stress')
    const plan = planRuns(s)
    const rates = plan.runs.map((r) => r.stressRate!)
    expect(rates).toEqual([...rates].sort((x, y) => x - y))
    expect(plan.runs[0]!.cell).toEqual({ rate: 100 })
    expect(plan.runs[1]!.workload.load).toMatchObject({ model: 'open', rate: 200, durationS: 8 })
    expect(plan.runs.at(-1)?.stressRate).toBe(1500)
  })

  it('--quick shortens runs, keeps faults inside them, and uses one repetition', async () => {
    const s = applyQuick(await loadScenario('failover'))
    const plan = planRuns(s)
    expect(plan.runs).toHaveLength(1)
    const load = plan.runs[0]!.workload.load
    expect(load.model === 'open' && load.durationS).toBeLessThanOrEqual(5)
    expect(s.faults.every((f) => f.atS < 5)).toBe(true)
    expect(s.faults[0]!.atS).toBeLessThan(s.faults[1]!.atS)
  })
})
