import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { applyQuick } from '../src/scenario/apply-quick.js'
import { listBuiltinScenarios, loadScenario } from '../src/scenario/load-scenario.js'
import { ScenarioError } from '../src/scenario/scenario-error.js'
import { validateScenario } from '../src/scenario/validate-scenario.js'

const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-scenario-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const DEFINE = JSON.stringify(path.resolve('harness/src/scenario/define-scenario.js'))

function scenarioFile(name: string, body: string): string {
  const file = path.join(dir, `${name}.ts`)
  writeFileSync(file, `import { defineScenario } from ${DEFINE}\nexport default defineScenario(${body})\n`)
  return file
}

const base = {
  name: 'x',
  kind: 'comparison',
  description: 'd',
  topology: { replicas: 2 },
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 100 },
  load: { model: 'closed', connections: 2, durationS: 1 },
}

async function loadError(file: string): Promise<ScenarioError> {
  const error = await loadScenario(file).then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ScenarioError)
  return error as ScenarioError
}

describe('scenario validation', () => {
  it('names the file, the matrix field path and the allowed cache strategies', async () => {
    const file = scenarioFile('bad-matrix', JSON.stringify({ ...base, matrix: { 'cache.strategy': ['lru', 'lfru'] } }))
    const error = await loadError(file)
    expect(error.message).toContain(file)
    expect(error.message).toContain('matrix["cache.strategy"][1]')
    expect(error.message).toContain('"lfru"')
    expect(error.message).toMatch(/allowed: none, lru, lfu, ttl, redis/)
    expect(error.exitCode).toBe(2)
  })

  it('rejects a matrix over a field that does not exist and lists the fields', () => {
    expect(() => validateScenario({ ...base, matrix: { 'cache.flavour': ['a'] } }, 'f.ts')).toThrow(
      /matrix\["cache.flavour"\]: not a topology field; allowed: replicas, shards/,
    )
  })

  it('names nested fields with their path and allowed values', () => {
    const bad = { ...base, topology: { balancer: { strategy: 'fastest' } }, workload: { ...base.workload, keys: { kind: 'zipf' } } }
    let message = ''
    try {
      validateScenario(bad, 'bad.ts')
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain('bad.ts')
    expect(message).toContain('topology.balancer.strategy = "fastest"')
    expect(message).toContain('allowed: round-robin, weighted-round-robin, least-connections, random, p2c, consistent-hash')
    expect(message).toContain('workload.keys.s')
  })

  it('refuses a misspelt field instead of ignoring it', () => {
    expect(() => validateScenario({ ...base, repetiton: 3 }, 'f.ts')).toThrow(/repetiton/)
  })

  it('refuses a non-loopback target and says why', () => {
    const { topology: _t, ...noTopology } = base
    expect(() => validateScenario({ ...noTopology, target: 'http://example.com:8080' }, 'f.ts')).toThrow(/only sends load to loopback/)
    const ok = validateScenario({ ...noTopology, target: 'http://localhost:8080' }, 'f.ts')
    expect(ok.target?.port).toBe('8080')
    expect(ok.topology).toBeNull()
  })

  it('rejects a bad threshold expression at load time', () => {
    expect(() => validateScenario({ ...base, thresholds: { http_req_duration: ['p95 < fast'] } }, 'f.ts')).toThrow(/thresholds:.*http_req_duration/)
  })

  it('rejects a stress scenario without stress steps or with a closed load', () => {
    const steps = { startRate: 100, step: 100, maxRate: 500, stepDurationS: 2 }
    const open = { model: 'open', rate: 100, durationS: 2, maxInFlight: 64 }
    // Each mistake on its own, next to the same scenario without it (which is valid).
    expect(validateScenario({ ...base, kind: 'stress', stress: steps, load: open }, 'f.ts').kind).toBe('stress')
    expect(() => validateScenario({ ...base, kind: 'stress', load: open }, 'f.ts')).toThrow(/stress.*startRate/s)
    let closed = ''
    try {
      validateScenario({ ...base, kind: 'stress', stress: steps }, 'f.ts')
    } catch (e) {
      closed = (e as Error).message
    }
    expect(closed).toContain('load.model')
    expect(closed).toMatch(/kind "stress" steps an arrival rate: use `model: "open"`/)
  })

  it('fills defaults', () => {
    const s = validateScenario(base, 'f.ts')
    expect(s.topology).toMatchObject({
      replicas: 2,
      shards: 1,
      partition: 'hash',
      cache: { strategy: 'none' },
      balancer: { strategy: 'round-robin', implementation: 'builtin' },
    })
    expect(s.repetitions).toBe(1)
    expect(s.workload.seed).toBe(1)
  })

  it('reports a file without a default export and a missing scenario name', async () => {
    const file = path.join(dir, 'no-default.ts')
    writeFileSync(file, 'export const x = 1\n')
    expect((await loadError(file)).message).toMatch(/no default export/)
    expect((await loadError('no-such-scenario')).message).toMatch(/not found.*quickstart/s)
  })

  it('every shipped scenario is valid, with and without --quick', async () => {
    const names = listBuiltinScenarios()
    expect(names).toEqual(
      expect.arrayContaining(['quickstart', 'compare-balancers', 'compare-partitions', 'compare-caches', 'scale-out', 'stress', 'failover', 'soak', 'spike']),
    )
    for (const name of names) {
      const s = await loadScenario(name)
      expect(s.name).toBe(name)
      const quick = applyQuick(s)
      expect(quick.repetitions).toBeGreaterThanOrEqual(1)
    }
  })
})
