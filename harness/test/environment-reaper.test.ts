import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { readProcessIdentity } from '../src/environment/process-identity.js'
import { reapLeftovers } from '../src/environment/reap-leftovers.js'
import { isAlive, REPO_ROOT, runLoadlab, waitFor } from './support/run-fixtures.js'

// The reaper kills what a dead harness left, and nothing else: not the children of a harness that
// still runs, not a process that merely got a recorded pid again (other start time), not one
// whose command line no longer matches the record.

const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-reaper-'))
const children: ChildProcess[] = []
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

let n = 0
function freshRuntimeDir(): string {
  const d = path.join(dir, `rt-${++n}`)
  mkdirSync(d)
  return d
}

/** A stand-in member: a node process whose command line carries `tag`, in its own process group. */
async function member(tag: string): Promise<{ pid: number; startTicks: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', tag], { stdio: 'ignore', detached: true })
  children.push(child)
  await once(child, 'spawn')
  const pid = child.pid!
  await waitFor(() => (readFileSafe(`/proc/${pid}/cmdline`) ?? '').includes(tag), 10_000, 'the member to exec')
  return { pid, startTicks: readProcessIdentity(pid)!.startTicks, child }
}

/** The identity of a harness that has exited (its pid may be reused, its start time is not). */
async function deadHarness(): Promise<{ pid: number; startTicks: number }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' })
  await once(child, 'spawn')
  const id = readProcessIdentity(child.pid!)!
  child.kill('SIGKILL')
  await once(child, 'exit')
  return { pid: id.pid, startTicks: id.startTicks }
}

function writeLedger(
  runtime: string,
  harness: { pid: number; startTicks: number },
  records: Array<{ pid: number; startTicks: number; member: string; match: string[] }>,
): string {
  const file = path.join(runtime, `${harness.pid}-${harness.startTicks}.jsonl`)
  const lines = [
    { kind: 'harness', pid: harness.pid, startTicks: harness.startTicks, argv: ['node', 'loadlab.js', 'run'], cwd: '/', startedAt: new Date().toISOString() },
    ...records.map((r) => ({ kind: 'child', ...r })),
  ]
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`)
  return file
}

function readFileSafe(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}
describe('reapLeftovers', () => {
  it('kills the recorded children of a dead harness and deletes its ledger file', async () => {
    const runtime = freshRuntimeDir()
    const m = await member('reaper-test-shard')
    const file = writeLedger(runtime, await deadHarness(), [{ pid: m.pid, startTicks: m.startTicks, member: 'shard-0', match: ['reaper-test-shard'] }])
    const report = reapLeftovers(runtime)
    expect(report.reaped.map((r) => [r.pid, r.member])).toEqual([[m.pid, 'shard-0']])
    await waitFor(() => !isAlive(m.pid), 10_000, 'the leftover to die')
    expect(existsSync(file)).toBe(false)
  })

  it('leaves the children of a harness that still runs alone', async () => {
    const runtime = freshRuntimeDir()
    const m = await member('reaper-test-live')
    const self = readProcessIdentity(process.pid)!
    const file = writeLedger(runtime, { pid: self.pid, startTicks: self.startTicks }, [
      { pid: m.pid, startTicks: m.startTicks, member: 'replica-1', match: ['reaper-test-live'] },
    ])
    const report = reapLeftovers(runtime)
    expect(report.reaped).toEqual([])
    expect(report.liveHarnesses).toBe(1)
    expect(isAlive(m.pid)).toBe(true)
    expect(existsSync(file)).toBe(true)
  })

  it('never kills a reused pid: another start time, or a command line that no longer matches', async () => {
    const runtime = freshRuntimeDir()
    const reused = await member('reaper-test-someone-else')
    const renamed = await member('reaper-test-other-program')
    writeLedger(runtime, await deadHarness(), [
      // Same pid, but the recorded process started at another time: the pid was given out again.
      { pid: reused.pid, startTicks: reused.startTicks - 1, member: 'shard-0', match: ['reaper-test-someone-else'] },
      // Same pid and start time, but it runs something else than recorded.
      { pid: renamed.pid, startTicks: renamed.startTicks, member: 'shard-1', match: ['system-under-test/dist/main.js', 'shard'] },
    ])
    const report = reapLeftovers(runtime)
    expect(report.reaped).toEqual([])
    expect(isAlive(reused.pid)).toBe(true)
    expect(isAlive(renamed.pid)).toBe(true)
    expect(readdirSync(runtime)).toEqual([])
  })
})

describe('loadlab run and loadlab doctor', () => {
  // A scenario aimed at a port nothing listens on: the run gets past every up-front check, reaps,
  // and then fails fast on the unreachable target without starting anything of its own.
  function unreachableTargetScenario(): string {
    const file = path.join(dir, 'unreachable-target.ts')
    writeFileSync(
      file,
      `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: 'unreachable-target', kind: 'performance', description: '',
  target: 'http://127.0.0.1:1',
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 10 },
  load: { model: 'closed', connections: 1, durationS: 1 },
})
`,
    )
    return file
  }

  it('run stops what a killed run left before it starts, and says what it stopped', async () => {
    const runtime = freshRuntimeDir()
    const m = await member('reaper-test-run-leftover')
    const harness = await deadHarness()
    writeLedger(runtime, harness, [{ pid: m.pid, startTicks: m.startTicks, member: 'replica-0', match: ['reaper-test-run-leftover'] }])
    const run = runLoadlab(['run', unreachableTargetScenario(), '--out', path.join(dir, 'run-reaps')], { env: { LOADLAB_RUNTIME_DIR: runtime } })
    await run.exited
    expect(run.stderr()).toContain(`stopped 1 process left running by a LoadLab run that was killed (pid ${harness.pid}): replica-0 (pid ${m.pid})`)
    await waitFor(() => !isAlive(m.pid), 10_000, 'the leftover to die')
    expect(readdirSync(runtime)).toEqual([])
  }, 120_000)

  it('doctor stops what a killed run left, and leaves a live run alone', async () => {
    const runtime = freshRuntimeDir()
    const leftover = await member('reaper-test-doctor-leftover')
    const live = await member('reaper-test-doctor-live')
    writeLedger(runtime, await deadHarness(), [
      { pid: leftover.pid, startTicks: leftover.startTicks, member: 'shard-1', match: ['reaper-test-doctor-leftover'] },
    ])
    const self = readProcessIdentity(process.pid)!
    writeLedger(runtime, { pid: self.pid, startTicks: self.startTicks }, [
      { pid: live.pid, startTicks: live.startTicks, member: 'shard-0', match: ['reaper-test-doctor-live'] },
    ])
    const doctor = runLoadlab(['doctor'], { env: { LOADLAB_RUNTIME_DIR: runtime } })
    await doctor.exited
    expect(doctor.stdout()).toContain(`shard-1 (pid ${leftover.pid})`)
    expect(doctor.stdout()).not.toContain(`pid ${live.pid}`)
    await waitFor(() => !isAlive(leftover.pid), 10_000, 'the leftover to die')
    expect(isAlive(live.pid)).toBe(true)
  }, 120_000)
})
