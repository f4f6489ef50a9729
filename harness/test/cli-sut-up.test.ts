import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import { isAlive, runLoadlab, waitFor } from './support/run-fixtures.js'

// `loadlab sut up`: the topology comes up seeded, answers, and Ctrl-C stops every member.
describe('loadlab sut up', () => {
  const logs = mkdtempSync(path.join(tmpdir(), 'loadlab-sut-test-'))
  afterAll(() => rmSync(logs, { recursive: true, force: true }))

  it('serves the seeded topology until Ctrl-C and leaves no process behind', async () => {
    const run = runLoadlab(['sut', 'up', 'quickstart', '--cell', '2', '--logs', logs], { timeoutMs: 110_000 })
    let pids: number[] = []
    try {
      await waitFor(() => run.stdout().includes('press Ctrl-C') || run.child.exitCode !== null, 90_000, 'the topology')
      expect(run.stdout()).toMatch(/replica-2 .*pid \d+/)
      pids = [...run.stdout().matchAll(/pid (\d+)/g)].map((m) => Number(m[1]))
      expect(pids).toHaveLength(5)
      expect(run.stderr()).toMatch(/seeded 5000 customers/)
      const entrypoint = /entrypoint: (\S+)/.exec(run.stdout())![1]
      const res = await request(new URL('/customers?q=a&limit=3', entrypoint))
      const body = (await res.body.json()) as { items: unknown[] }
      expect(res.statusCode).toBe(200)
      expect(body.items.length).toBeGreaterThan(0)
      run.child.kill('SIGINT')
      expect(await run.exited).toBe(0)
      expect(pids.filter(isAlive)).toEqual([])
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL')
      for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    }
  })
})
