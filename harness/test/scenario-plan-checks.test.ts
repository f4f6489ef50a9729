import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkSuite } from '../src/runner/run-suite.js'
import { applyQuick } from '../src/scenario/apply-quick.js'
import { ScenarioError } from '../src/scenario/scenario-error.js'
import { validateScenario } from '../src/scenario/validate-scenario.js'
import { REPO_ROOT, runLoadlab } from './support/run-fixtures.js'

// Faults and thresholds that name something the planned runs will not have are scenario errors
// (exit 2) found before anything starts, for every cell of the matrix, not "not applied" or a
// failed threshold after the whole suite ran.

const base = {
  name: 'checks',
  kind: 'failover',
  topology: { replicas: 2, shards: 2 },
  workload: { mix: { get_customer: 8, update_customer: 2 }, keys: { kind: 'uniform' }, datasetSize: 100 },
  load: { model: 'closed', connections: 2, durationS: 20 },
}

function problems(extra: Record<string, unknown>, opts: { quick?: boolean } = {}): string {
  let scenario = validateScenario({ ...base, ...extra }, 'scenarios/checks.ts')
  if (opts.quick) scenario = applyQuick(scenario)
  try {
    checkSuite(scenario, {})
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError)
    expect((error as ScenarioError).exitCode).toBe(2)
    return (error as Error).message
  }
  return ''
}

describe('faults checked against the plan', () => {
  it('accepts faults on members every cell has, timed inside the measured phase', () => {
    expect(
      problems({
        faults: [
          { atS: 5, action: 'kill', member: 'shard-1' },
          { atS: 8, action: 'pause', member: 'balancer' },
        ],
      }),
    ).toBe('')
  })

  it('rejects a member that does not exist', () => {
    const message = problems({ faults: [{ atS: 5, action: 'kill', member: 'shard-9' }] })
    expect(message).toContain('scenarios/checks.ts cannot run as written')
    expect(message).toContain(
      'faults[0] (kill shard-9 at 5 s): cell "checks" has no member "shard-9" (members of "checks": shard-0, shard-1, replica-1, replica-2, balancer)',
    )
  })

  it('plans a fault on a member only some cells have, with a note naming the cells that record it as not applied', () => {
    const scenario = (extra: Record<string, unknown>) => validateScenario({ ...base, ...extra }, 'scenarios/checks.ts')
    const replica3 = { matrix: { replicas: [1, 2, 3] }, faults: [{ atS: 5, action: 'kill', member: 'replica-3' }] }
    expect(problems(replica3)).toBe('')
    expect(checkSuite(scenario(replica3), {}).notes).toEqual([
      'faults[0] (kill replica-3 at 5 s): cells "replicas=1", "replicas=2" have no member "replica-3"; recorded there as not applied',
    ])
    const balancer = { matrix: { replicas: [1, 2] }, faults: [{ atS: 5, action: 'pause', member: 'balancer' }] }
    expect(checkSuite(scenario(balancer), {}).notes.join('\n')).toContain('cell "replicas=1" has no member "balancer"')
    const redis = { matrix: { 'cache.strategy': ['lru', 'redis'] }, faults: [{ atS: 5, action: 'kill', member: 'redis' }] }
    expect(checkSuite(scenario(redis), {}).notes.join('\n')).toContain('cell "cache=lru" has no member "redis"')
    // A fault every cell can apply needs no note.
    expect(checkSuite(scenario({ faults: [{ atS: 5, action: 'kill', member: 'shard-1' }] }), {}).notes).toEqual([])
  })

  it('rejects a member that no cell of the matrix has, naming the members', () => {
    const message = problems({ matrix: { 'cache.strategy': ['lru', 'redis'] }, faults: [{ atS: 5, action: 'kill', member: 'memcached' }] })
    expect(message).toContain('cells "cache=lru", "cache=redis" have no member "memcached"')
  })

  it('knows memcached and postgres as members only of the cells that start them (postgres in place of shard processes)', () => {
    expect(
      problems({
        topology: { replicas: 2, shards: 2, store: 'postgres', cache: { strategy: 'memcached' } },
        faults: [
          { atS: 5, action: 'kill', member: 'postgres' },
          { atS: 6, action: 'restart', member: 'memcached' },
        ],
      }),
    ).toBe('')
    const postgres = problems({ topology: { replicas: 2, shards: 2, store: 'embedded' }, faults: [{ atS: 5, action: 'kill', member: 'postgres' }] })
    expect(postgres).toContain('cell "checks" has no member "postgres" (members of "checks": shard-0, shard-1, replica-1, replica-2, balancer)')
  })

  it('rejects a fault timed at or after the end of the measured phase', () => {
    const message = problems({ faults: [{ atS: 20, action: 'kill', member: 'shard-0' }] })
    expect(message).toContain('faults[0] (kill shard-0 at 20 s): the measured phase lasts 20 s, so the fault would never happen; give atS below 20')
  })

  it('keeps faults valid under --quick, which moves them with the shorter run', () => {
    expect(problems({ faults: [{ atS: 15, action: 'kill', member: 'shard-0' }] }, { quick: true })).toBe('')
  })
})

describe('thresholds checked against the plan', () => {
  it('accepts thresholds on measured metrics, existing tags and operations the workload sends', () => {
    expect(
      problems({
        matrix: { 'cache.strategy': ['none', 'lru'] },
        thresholds: {
          http_req_duration: ['p(95)<200'],
          'http_req_duration{op:update_customer}': ['p(95)<300'],
          'cache_hit_rate{cache:lru}': ['rate>0.5'],
          'http_reqs{shard:1}': ['count>0'],
          'http_reqs{backend:replica-2}': ['count>0'],
          'http_reqs{status:503}': ['count==0'],
          lost_writes: ['count==0'],
        },
      }),
    ).toBe('')
  })

  it('rejects an unknown metric', () => {
    expect(problems({ thresholds: { http_req_duraton: ['p(95)<200'] } })).toContain(
      'thresholds["http_req_duraton"]: no such metric "http_req_duraton"; metrics: http_reqs, http_req_duration',
    )
  })

  it('rejects an unknown tag, and a tag value no run has', () => {
    expect(problems({ thresholds: { 'http_req_duration{cahce:lru}': ['p(95)<200'] } })).toContain(
      'unknown tag "cahce"; tags: op, status, backend, shard, run, cell, cache',
    )
    expect(problems({ matrix: { 'cache.strategy': ['none', 'lru'] }, thresholds: { 'http_req_duration{cache:lfu}': ['p(95)<200'] } })).toContain(
      'no run has cache "lfu"; cache: none, lru',
    )
  })

  it('rejects an unknown operation, and one the workload never sends', () => {
    expect(problems({ thresholds: { 'http_req_duration{op:get_custmer}': ['p(95)<200'] } })).toContain('unknown op "get_custmer"; operations: get_customer')
    expect(problems({ thresholds: { 'http_req_duration{op:list_deals}': ['p(95)<200'] } })).toContain('the workload never sends list_deals')
  })

  it('rejects a backend or shard the topology lacks', () => {
    expect(problems({ thresholds: { 'http_reqs{shard:9}': ['count>0'] } })).toContain('no shard "9"; shards: 0, 1')
    expect(problems({ thresholds: { 'http_reqs{backend:replica-3}': ['count>0'] } })).toContain('no backend "replica-3"; backends: replica-1, replica-2')
  })
})

describe('loadlab run with such a scenario', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-plan-checks-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('exits 2 before starting anything or creating the output folder', async () => {
    const file = path.join(dir, 'bad-fault.ts')
    writeFileSync(
      file,
      `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario(${JSON.stringify({ ...base, faults: [{ atS: 5, action: 'kill', member: 'shard-9' }], thresholds: { 'http_reqs{op:get_customer}': ['count>0'], lost_wrties: ['count==0'] } })} as never)
`,
    )
    const out = path.join(dir, 'out')
    const run = runLoadlab(['run', file, '--out', out])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toContain('no member "shard-9"')
    expect(run.stderr()).toContain('no such metric "lost_wrties"')
    expect(run.stderr()).not.toContain('starting...')
    expect(existsSync(out)).toBe(false)
  }, 180_000)
})
