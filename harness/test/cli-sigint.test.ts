import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { SuiteResult } from '../src/results/results-schema.js'
import { isAlive, pidsIn, runLoadlab, waitFor } from './support/run-fixtures.js'

// Ctrl-C in the middle of a measured phase: exit 130, every member of the run gone, and the
// results of what was measured still written.
describe('loadlab run interrupted', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'loadlab-sigint-'))
  const pidFile = path.join(out, 'pids.txt')
  afterAll(() => {
    for (const pid of pidsIn(pidFile)) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(out, { recursive: true, force: true })
  })

  it('stops the run, leaves no process behind, writes results.json and exits 130', async () => {
    const run = runLoadlab(['run', 'scenarios/quickstart.ts', '--quick', '--out', out])
    try {
      // Non-TTY progress prints "... s left" while the measured phase runs.
      await waitFor(() => / s left/.test(run.stderr()) || run.child.exitCode !== null, 60_000, 'the measured phase')
      expect(run.child.exitCode).toBeNull()
      const pids = pidsIn(pidFile)
      expect(pids.length).toBeGreaterThanOrEqual(5) // 2 shards, 2 replicas, the balancer
      expect(pids.filter(isAlive).length).toBeGreaterThanOrEqual(5)
      run.child.kill('SIGINT')
      expect(await run.exited).toBe(130)

      expect(pidsIn(pidFile).filter(isAlive)).toEqual([])
      expect(existsSync(path.join(out, 'results.json'))).toBe(true)
      const suite = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult
      expect(suite.schemaVersion).toBe(1)
      expect(suite.runs.length).toBeGreaterThanOrEqual(1)
      const last = suite.runs.at(-1)!
      expect(last.status).toBe('aborted')
      expect(last.metrics.http_reqs.count).toBeGreaterThan(0)
      expect(suite.verdict.exitCode).toBe(130)
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL')
    }
  })
})
