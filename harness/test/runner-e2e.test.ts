import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnRole, stopAll, TEST_ADMIN_TOKEN } from '../../system-under-test/test/support/sut-processes.js'
import { parseSuiteResult } from '../src/results/load-results-file.js'
import type { RunResult, SuiteResult } from '../src/results/results-schema.js'
import { isAlive, killLeftoverRuns, pidsIn, REPO_ROOT, runLoadlab } from './support/run-fixtures.js'

const DEFINE = JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))

function readSuite(outDir: string): SuiteResult {
  const file = path.join(outDir, 'results.json')
  return parseSuiteResult(JSON.parse(readFileSync(file, 'utf8')), file)
}

/** The value each threshold outcome of `metric` measured in `run`. */
function thresholdValue(suite: SuiteResult, metric: string, run: RunResult): number | null | undefined {
  return suite.gates?.thresholds.find((t) => t.metric === metric && t.runId === run.id)?.value
}

// `loadlab run` end to end from the built CLI, as a user runs it (every shipped scenario:
// scenarios-smoke.test.ts).
describe('loadlab run (end to end)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-e2e-'))
  afterAll(async () => {
    killLeftoverRuns()
    await stopAll()
    rmSync(dir, { recursive: true, force: true })
  })

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

  it('starts HAProxy, nginx and redis from a scenario, fires slow, pause and resume faults at their atS, keeps the warm-up out, and judges availability, stale_reads and dropped_iterations', async () => {
    const file = path.join(dir, 'engines.ts')
    writeFileSync(
      file,
      `import { defineScenario } from ${DEFINE}
export default defineScenario({
  name: 'engines', kind: 'comparison', description: 'real balancer engines and a shared redis cache, with faults',
  topology: { replicas: 2, shards: 1, partition: 'single', cache: { strategy: 'redis' }, emulation: { replica: { serviceTime: 'constant:2', slots: 8, queueLimit: 256 } } },
  matrix: { 'balancer.implementation': ['haproxy', 'nginx'] },
  workload: { mix: { get_customer: 8, update_customer: 2 }, keys: { kind: 'zipf', s: 1 }, datasetSize: 300 },
  load: { model: 'open', stages: [{ durationS: 1, target: 40 }, { durationS: 3, target: 80 }], maxInFlight: 64 },
  warmup: { durationS: 1 },
  faults: [
    { atS: 0.2, action: 'slow', member: 'replica-1', factor: 3 },
    { atS: 0.4, action: 'pause', member: 'redis' },
    { atS: 0.8, action: 'resume', member: 'redis' },
  ],
  thresholds: { availability: ['rate>=0'], stale_reads: ['count>=0'], dropped_iterations: ['count>=0'] },
})
`,
    )
    const out = path.join(dir, 'engines')
    const run = runLoadlab(['run', file, '--out', out], { timeoutMs: 200_000 })
    expect(await run.exited, run.stdout() + run.stderr()).toBe(0)
    const suite = readSuite(out)
    expect(suite.runs.map((r) => [r.cellLabel, r.topology.balancer?.engine, r.topology.cache.strategy, r.status])).toEqual([
      ['balancer-impl=haproxy', 'haproxy', 'redis', 'ok'],
      ['balancer-impl=nginx', 'nginx', 'redis', 'ok'],
    ])
    const members = readFileSync(path.join(out, 'pids.txt'), 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter(Boolean)
    expect(members.filter((m) => m === 'redis')).toHaveLength(2) // one per run
    expect(pidsIn(path.join(out, 'pids.txt')).filter(isAlive)).toEqual([])
    for (const r of suite.runs) {
      // The balancer engine spread the load over both replicas, and the replicas used the shared cache.
      expect(Object.keys(r.sut.backends).sort(), r.id).toEqual(['replica-1', 'replica-2'])
      for (const served of Object.values(r.sut.backends)) expect(served, r.id).toBeGreaterThan(0)
      expect(r.metrics.cache_hit_rate?.rate, r.id).toBeGreaterThan(0)
      // Each fault fired once, at or after its atS, within the measured phase, in order (early in
      // a 4 s phase: a loaded machine runs timers late, and a fault due after the end is not applied).
      expect(
        r.faults.map((f) => [f.action, f.member, f.ok, f.detail]),
        r.id,
      ).toEqual([
        ['slow', 'replica-1', true, 'service time x3'],
        ['pause', 'redis', true, 'SIGSTOP'],
        ['resume', 'redis', true, 'SIGCONT'],
      ])
      r.faults.forEach((f, i) => {
        expect(f.elapsedS, `${r.id} ${f.action}`).toBeGreaterThanOrEqual([0.2, 0.4, 0.8][i]!)
        expect(f.elapsedS, `${r.id} ${f.action}`).toBeLessThanOrEqual(r.durationS)
      })
      // Every planned arrival (20 in the 1 s ramp to 40/s, 180 in the 3 s ramp to 80/s) was sent
      // or dropped; the warm-up's requests (1 s at 40/s) are not in the metrics.
      expect(r.metrics.http_reqs.count + r.metrics.dropped_iterations.count, r.id).toBe(200)
      // The thresholds were judged on the measured values.
      expect(thresholdValue(suite, 'availability', r), r.id).toBe(r.metrics.availability.rate)
      expect(thresholdValue(suite, 'stale_reads', r), r.id).toBe(r.metrics.stale_reads.count)
      expect(thresholdValue(suite, 'dropped_iterations', r), r.id).toBe(r.metrics.dropped_iterations.count)
    }
  }, 240_000)

  it('runs against an external target it leaves running, and compares a run with a baseline results.json', async () => {
    const shard = await spawnRole('shard', ['--port', '0'])
    const replica = await spawnRole('replica', ['--port', '0', '--shards', shard.url, '--name', 'external-1'])
    const file = path.join(dir, 'external.ts')
    writeFileSync(
      file,
      `import { defineScenario } from ${DEFINE}
export default defineScenario({
  name: 'external', kind: 'performance', description: 'a system the user runs',
  target: ${JSON.stringify(replica.url)},
  workload: { mix: { get_customer: 8, create_customer: 1, update_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 200 },
  load: { model: 'closed', connections: 2, durationS: 2 },
  repetitions: 2,
  thresholds: { http_req_failed: ['rate<0.01'] },
})
`,
    )
    // Two repetitions: the second seeds and creates customers on a target that keeps the first's.
    // The user exports the admin token the target was started with, so the harness can seed it.
    const env = { LOADLAB_ADMIN_TOKEN: TEST_ADMIN_TOKEN }
    const first = path.join(dir, 'external-1')
    const run = runLoadlab(['run', file, '--out', first], { env })
    expect(await run.exited, run.stdout() + run.stderr()).toBe(0)
    const suite = readSuite(first)
    expect(suite.runs).toHaveLength(2)
    for (const r of suite.runs) {
      expect(r, r.error).toMatchObject({ status: 'ok', topology: { environment: 'external', target: new URL(replica.url).href } })
      expect(r.metrics.http_reqs.count).toBeGreaterThan(0)
      expect(r.metrics.http_req_failed.rate).toBe(0)
      expect(r.sut.backends).toEqual({ target: expect.any(Number) })
    }
    // Nothing was started, and the target still runs.
    expect(pidsIn(path.join(first, 'pids.txt'))).toEqual([])
    expect((await request(new URL('/health', replica.url))).statusCode).toBe(200)

    // The same scenario again with --baseline: the file is read, each metric of the cell is
    // compared with it, and the comparison is in results.json and the verdict. The wide tolerance
    // keeps this a pass on a noisy machine (runner-suite.test.ts shows a regression failing the gate).
    const second = path.join(dir, 'external-2')
    const gated = runLoadlab(['run', file, '--out', second, '--baseline', path.join(first, 'results.json'), '--tolerance', '9'], { env })
    expect(await gated.exited, gated.stdout() + gated.stderr()).toBe(0)
    const judged = readSuite(second)
    for (const r of judged.runs) expect(r.status, r.error).toBe('ok')
    const baseline = judged.gates!.baseline!
    expect(baseline).toMatchObject({ file: path.join(first, 'results.json'), tolerance: 9, passed: true })
    expect(baseline.changes.map((c) => [c.cellLabel, c.metric])).toEqual([
      ['external', 'rps'],
      ['external', 'p95'],
      ['external', 'p99'],
      ['external', 'error_rate'],
    ])
    // Throughput and latency are compared between geometric means (one disturbed run cannot swing them).
    const firstRps = Math.exp(suite.runs.reduce((sum, r) => sum + Math.log(r.metrics.http_reqs.rate), 0) / suite.runs.length)
    expect(baseline.changes[0]!.baseline).toBeCloseTo(firstRps, 6)
    // 2 runs a side: each check proves no regression, or says it cannot tell; never a regression.
    expect(baseline.changes.filter((c) => c.regression)).toEqual([])
    expect(judged.verdict.text).toMatch(
      /no regression beyond the 900% tolerance against the baseline|no regression proven against the baseline, but \d of 4 checks cannot tell/,
    )
    expect(gated.stdout()).toMatch(/Baseline .*results.json: no regression beyond the tolerance of 900(\.0)?%/)
  }, 240_000)
})
