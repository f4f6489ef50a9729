import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeRichSuite } from './support/report-fixture.js'
import { killLeftoverRuns, runLoadlab } from './support/run-fixtures.js'

// `loadlab report` as users run it: the built binary, its exit codes and output.

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const run = runLoadlab(args)
  const code = await run.exited
  return { code, out: run.stdout(), err: run.stderr() }
}

describe('loadlab report', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'loadlab-report-'))
  })
  afterAll(async () => {
    killLeftoverRuns()
    await rm(dir, { recursive: true, force: true })
  })

  it('renders index.html beside results.json, or into --out', async () => {
    const file = path.join(dir, 'results.json')
    await writeFile(file, JSON.stringify(makeRichSuite()))
    const [beside, elsewhere] = await Promise.all([cli(['report', file]), cli(['report', file, '--out', path.join(dir, 'out')])])
    expect(beside.code, beside.err).toBe(0)
    expect(beside.out).toBe(`report: ${path.join(dir, 'index.html')}\n`)
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).toContain('cache-strategies')
    expect(elsewhere.code, elsewhere.err).toBe(0)
    expect(elsewhere.out).toBe(`report: ${path.join(dir, 'out', 'index.html')}\n`)
    expect(existsSync(path.join(dir, 'out', 'index.html'))).toBe(true)
  })

  it('refuses an unreadable or invalid file with exit code 2 and a message naming it, writing nothing', async () => {
    const bad = path.join(dir, 'bad.json')
    await writeFile(bad, '{"hello": 1}')
    const broken = path.join(dir, 'broken.json')
    await writeFile(broken, '{"runs": [')
    const out = path.join(dir, 'refused')
    const results = await Promise.all(['nope.json', 'bad.json', 'broken.json'].map((name) => cli(['report', path.join(dir, name), '--out', out])))
    results.forEach((r, i) => {
      expect(r.code, r.err).toBe(2)
      expect(r.err).toContain(['nope.json', 'bad.json', 'broken.json'][i])
    })
    expect(existsSync(out)).toBe(false)
  })
})
