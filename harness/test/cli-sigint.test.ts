import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { SuiteResult } from '../src/results/results-schema.js'
import { isAlive, killLeftoverRuns, pidsIn, REPO_ROOT, runLoadlab, waitFor } from './support/run-fixtures.js'

// Ctrl-C in the middle of a measured phase: exit 130, every member of the run gone, and the
// results of what was measured still written.
describe('loadlab run interrupted', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-sigint-'))
  // --out must be new or empty: the scenario file lives beside it, not in it.
  const out = path.join(dir, 'out')
  const pidFile = path.join(out, 'pids.txt')
  afterAll(() => {
    killLeftoverRuns()
    for (const pid of pidsIn(pidFile)) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('stops the run, leaves no process behind, writes results.json and exits 130', async () => {
    // A measured phase of a minute: Ctrl-C lands in it however slowly the machine gets there.
    const file = path.join(dir, 'long.ts')
    writeFileSync(
      file,
      `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: 'long', kind: 'performance', description: 'a run to interrupt',
  topology: { replicas: 2, shards: 2, cache: { strategy: 'lru' } },
  workload: { mix: { get_customer: 9, update_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 500 },
  load: { model: 'closed', connections: 4, durationS: 60 },
})
`,
    )
    const run = runLoadlab(['run', file, '--out', out])
    try {
      // Non-TTY progress prints "... s left" while the measured phase runs.
      await waitFor(() => / s left/.test(run.stderr()) || run.child.exitCode !== null, 80_000, 'the measured phase')
      expect(run.child.exitCode).toBeNull()
      const pids = pidsIn(pidFile)
      expect(pids.length).toBeGreaterThanOrEqual(5) // 2 shards, 2 replicas, the balancer
      expect(pids.filter(isAlive).length).toBeGreaterThanOrEqual(5)
      run.child.kill('SIGINT')
      expect(await run.exited).toBe(130)

      expect(pidsIn(pidFile).filter(isAlive)).toEqual([])
      expect(existsSync(path.join(out, 'results.json'))).toBe(true)
      const suite = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult
      expect(suite.schemaVersion).toBe(2)
      expect(suite.runs).toHaveLength(1)
      const last = suite.runs.at(-1)!
      expect(last.status).toBe('aborted')
      expect(last.metrics.http_reqs.count).toBeGreaterThan(0)
      expect(suite.verdict.exitCode).toBe(130)
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL')
    }
  })
})
