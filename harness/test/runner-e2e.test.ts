import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { SuiteResult } from '../src/results/results-schema.js'
import { isAlive, pidsIn, REPO_ROOT, runLoadlab } from './support/run-fixtures.js'

// `loadlab run` end to end from the built CLI, as a user runs it.
describe('loadlab run (end to end)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-e2e-'))
  afterAll(() => {
    for (const sub of ['quick', 'impossible']) for (const pid of pidsIn(path.join(dir, sub, 'pids.txt'))) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('quickstart --quick writes valid results and every report, with cache hit rates, and exits 0', async () => {
    const out = path.join(dir, 'quick')
    const run = runLoadlab(['run', 'quickstart', '--quick', '--out', out])
    const code = await run.exited
    expect(code, run.stderr() + run.stdout()).toBe(0)
    for (const file of ['results.json', 'index.html', 'junit.xml', 'summary.md']) expect(existsSync(path.join(out, file)), file).toBe(true)
    const suite = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult
    expect(suite.schemaVersion).toBe(1)
    expect(suite.runs.map((r) => r.cellLabel)).toEqual(['cache=none', 'cache=lru', 'cache=lfu'])
    for (const r of suite.runs) {
      expect(r.status).toBe('ok')
      expect(r.metrics.http_reqs.count).toBeGreaterThan(0)
      expect(Object.keys(r.sut.backends).length).toBe(2)
    }
    expect(suite.runs[0].metrics.cache_hit_rate).toBeUndefined()
    for (const r of suite.runs.slice(1)) expect(r.metrics.cache_hit_rate?.rate).toBeGreaterThan(0)
    expect(suite.runs.every((r) => r.metrics.lost_writes?.count === 0)).toBe(true)
    expect(run.stdout()).toContain(path.join(out, 'index.html'))
    expect(run.stdout()).toMatch(/cache=lru #1/)
    expect(pidsIn(path.join(out, 'pids.txt')).filter(isAlive)).toEqual([])
  }, 300_000) // three runs with their topologies: minutes on a busy shared machine, not a speed check

  it('an impossible threshold exits 99 and names it', async () => {
    const file = path.join(dir, 'impossible.ts')
    writeFileSync(
      file,
      `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: 'impossible', kind: 'performance', description: 'a threshold no system meets',
  topology: { replicas: 1, shards: 1 },
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 200 },
  load: { model: 'closed', connections: 4, durationS: 2 },
  thresholds: { http_req_duration: ['p(95)<0.001'] },
})
`,
    )
    const run = runLoadlab(['run', file, '--out', path.join(dir, 'impossible')])
    expect(await run.exited, run.stderr()).toBe(99)
    expect(run.stdout()).toContain('p(95)<0.001')
    expect(run.stdout()).toContain('http_req_duration')
  })
})
