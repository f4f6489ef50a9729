import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, runLoadlab, type CliRun } from './support/run-fixtures.js'
import { makeSuiteResult } from './fixtures/suite-fixtures.js'

// --out is checked before anything starts, for every command that has it: exit 2 and a message
// naming the flag and the fix for an empty value, a file, a folder with other files, an earlier
// LoadLab output without --force, and /proc. With --force an earlier output is replaced whole.

const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-out-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// A scenario whose run fails at once (nothing listens on port 9): enough to see what --out does.
const scenario = path.join(dir, 'unreachable.ts')
writeFileSync(
  scenario,
  `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: 'unreachable', kind: 'performance', description: '',
  target: 'http://127.0.0.1:9',
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 10 },
  load: { model: 'closed', connections: 1, durationS: 1 },
})
`,
)
const results = path.join(dir, 'results.json')
writeFileSync(results, JSON.stringify(makeSuiteResult()))

/** Exit code of a CLI run that must end on its own within a generous bound (a hang fails the test, it does not stall it). */
async function exitOf(run: CliRun, boundMs = 60_000): Promise<number> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), boundMs)
  const code = await run.exited
  clearTimeout(timer)
  return code
}

// Every case spawns the CLI, which takes seconds on a busy shared machine: generous bounds.
const CASE = { timeout: 300_000 }

describe('loadlab run --out', CASE, () => {
  it('refuses an empty --out instead of writing into the current folder', async () => {
    const cwd = mkdtempSync(path.join(dir, 'cwd-'))
    const run = runLoadlab(['run', scenario, '--out', ''], { cwd })
    expect(await exitOf(run)).toBe(2)
    expect(run.stderr()).toContain('--out is empty: give the folder to write into')
    expect(readdirSync(cwd)).toEqual([])
  })

  it('refuses a file with a message, not a raw EEXIST', async () => {
    const file = path.join(dir, 'a-file')
    writeFileSync(file, 'keep me')
    const run = runLoadlab(['run', scenario, '--out', file])
    expect(await exitOf(run)).toBe(2)
    expect(run.stderr()).toContain(`--out "${file}" is a file, not a folder`)
    expect(run.stderr()).not.toContain('EEXIST')
    expect(readFileSync(file, 'utf8')).toBe('keep me')
  })

  it('refuses a folder with other files in it, even with --force', async () => {
    const folder = path.join(dir, 'photos')
    mkdirSync(folder)
    writeFileSync(path.join(folder, 'holiday.jpg'), 'x')
    for (const args of [[], ['--force']]) {
      const run = runLoadlab(['run', scenario, '--out', folder, ...args])
      expect(await exitOf(run)).toBe(2)
      expect(run.stderr()).toMatch(/is a folder with other files in it \(holiday\.jpg\): give a new or empty folder/)
    }
    expect(readdirSync(folder)).toEqual(['holiday.jpg'])
  })

  it('refuses an earlier LoadLab output without --force, and replaces it cleanly with --force', async () => {
    const folder = path.join(dir, 'earlier-run')
    mkdirSync(path.join(folder, 'logs', '01-old'), { recursive: true })
    writeFileSync(path.join(folder, 'results.json'), JSON.stringify(makeSuiteResult()))
    writeFileSync(path.join(folder, 'pids.txt'), '424242 shard-0\n')
    writeFileSync(path.join(folder, 'logs', '01-old', 'shard-0.log'), 'old\n')

    const refused = runLoadlab(['run', scenario, '--out', folder])
    expect(await exitOf(refused)).toBe(2)
    expect(refused.stderr()).toContain('holds an earlier LoadLab output: add --force to replace it')
    expect(existsSync(path.join(folder, 'pids.txt'))).toBe(true)

    const forced = runLoadlab(['run', scenario, '--out', folder, '--force'])
    expect(await exitOf(forced)).toBe(1) // the run itself fails: nothing listens on port 9
    expect(existsSync(path.join(folder, 'pids.txt'))).toBe(false)
    expect(existsSync(path.join(folder, 'logs', '01-old'))).toBe(false)
    const suite = JSON.parse(readFileSync(path.join(folder, 'results.json'), 'utf8')) as { scenario: { name: string } }
    expect(suite.scenario.name).toBe('unreachable')
  })

  it('refuses /proc/self at once instead of spinning', async () => {
    const run = runLoadlab(['run', scenario, '--out', '/proc/self'])
    expect(await exitOf(run, 30_000)).toBe(2)
    expect(run.stderr()).toMatch(/--out "\/proc\/self" is in \/proc, a virtual file system/)
  })
})

describe('--out of the other commands', CASE, () => {
  it('compare refuses a file', async () => {
    const file = path.join(dir, 'cmp-file')
    writeFileSync(file, 'x')
    const run = runLoadlab(['compare', results, results, '--out', file])
    expect(await exitOf(run)).toBe(2)
    expect(run.stderr()).toContain(`--out "${file}" is a file, not a folder`)
  })

  it('report refuses an empty --out and a folder of other files, but writes beside its results file', async () => {
    const empty = runLoadlab(['report', results, '--out', ''])
    expect(await exitOf(empty)).toBe(2)
    expect(empty.stderr()).toContain('--out is empty')

    const other = path.join(dir, 'docs')
    mkdirSync(other)
    writeFileSync(path.join(other, 'README.md'), '# docs')
    const refused = runLoadlab(['report', results, '--out', other])
    expect(await exitOf(refused)).toBe(2)
    expect(refused.stderr()).toContain('is a folder with other files in it (README.md)')

    const beside = runLoadlab(['report', results, '--out', dir])
    expect(await exitOf(beside)).toBe(0)
    expect(existsSync(path.join(dir, 'index.html'))).toBe(true)
  })

  const quickstart = path.join(REPO_ROOT, 'scenarios/quickstart.ts')
  it('k8s export refuses an empty --out, a file and a folder of other files, and replaces an earlier export only with --force', async () => {
    const cwd = mkdtempSync(path.join(dir, 'k8s-cwd-'))
    const empty = runLoadlab(['k8s', 'export', quickstart, '--parallelism', '2', '--sut', '--out', ''], { cwd })
    expect(await exitOf(empty)).toBe(2)
    expect(empty.stderr()).toContain('--out is empty')
    expect(readdirSync(cwd)).toEqual([])

    const file = path.join(dir, 'k8s-file')
    writeFileSync(file, 'x')
    const onFile = runLoadlab(['k8s', 'export', quickstart, '--parallelism', '2', '--sut', '--out', file])
    expect(await exitOf(onFile)).toBe(2)
    expect(onFile.stderr()).toContain(`--out "${file}" is a file, not a folder`)

    const out = path.join(dir, 'k8s-out')
    const withSut = runLoadlab(['k8s', 'export', quickstart, '--parallelism', '2', '--sut', '--out', out])
    expect(await exitOf(withSut), withSut.stderr()).toBe(0)
    expect(readdirSync(out)).toContain('20-sut.yaml')

    const again = runLoadlab(['k8s', 'export', quickstart, '--parallelism', '2', '--sut', '--out', out])
    expect(await exitOf(again)).toBe(2)
    expect(again.stderr()).toContain('holds an earlier LoadLab output: add --force')

    const replaced = runLoadlab(['k8s', 'export', quickstart, '--parallelism', '3', '--sut', '--out', out, '--force'])
    expect(await exitOf(replaced), replaced.stderr()).toBe(0)
    expect(readFileSync(path.join(out, '30-agents.yaml'), 'utf8')).toContain('parallelism: 3')

    const docs = path.join(dir, 'k8s-docs')
    mkdirSync(docs)
    writeFileSync(path.join(docs, 'notes.md'), '# mine')
    const foreign = runLoadlab(['k8s', 'export', quickstart, '--parallelism', '2', '--sut', '--out', docs, '--force'])
    expect(await exitOf(foreign)).toBe(2)
    expect(foreign.stderr()).toContain('is a folder with other files in it (notes.md)')
    expect(readdirSync(docs)).toEqual(['notes.md'])
  })
})
