import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { processesInGroup } from '../src/environment/process-identity.js'
import type { SuiteResult } from '../src/results/results-schema.js'
import { isAlive, REPO_ROOT, runLoadlab, waitFor, type CliRun } from './support/run-fixtures.js'

// A harness that dies without cleaning up (SIGKILL) must not leave the topology running: our
// roles close when their stdin pipe from the harness closes, redis-server gets SIGKILL from the
// kernel (parent-death signal), a balancer stops its HAProxy/nginx as it closes, and whatever
// still survives (here: the HAProxy of a balancer that was killed itself) is stopped by the next
// `loadlab doctor` (or `loadlab run`) from the ledger in the runtime folder. And `npx loadlab`
// stopped with SIGINT or SIGTERM must stop the run it launched, not leave it running as an orphan.

const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-signals-'))
const runtimeDir = path.join(dir, 'runtime')
const env = { LOADLAB_RUNTIME_DIR: runtimeDir }
const started: number[] = []
// Each case starts a full topology on a shared, busy machine: generous bounds, no timing asserts.
const CASE_TIMEOUT_MS = 300_000

afterAll(() => {
  for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

function scenarioFile(name: string, engine: 'haproxy' | 'nginx'): string {
  const file = path.join(dir, `${name}.ts`)
  writeFileSync(
    file,
    `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: ${JSON.stringify(name)}, kind: 'performance', description: '',
  topology: { replicas: 2, shards: 2, balancer: { implementation: ${JSON.stringify(engine)} }, cache: { strategy: 'redis' } },
  workload: { mix: { get_customer: 8, update_customer: 2 }, keys: { kind: 'uniform' }, datasetSize: 4000 },
  warmup: { durationS: 4 },
  load: { model: 'closed', connections: 2, durationS: 30 },
})
`,
  )
  return file
}

interface LedgerChild {
  pid: number
  member: string
}

/** Children of every harness recorded in the test's runtime folder. */
function ledgerChildren(): LedgerChild[] {
  if (!existsSync(runtimeDir)) return []
  return readdirSync(runtimeDir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(path.join(runtimeDir, f), 'utf8').split('\n'))
    .filter((line) => line.includes('"kind":"child"'))
    .map((line) => JSON.parse(line) as LedgerChild)
}

/** Every process of the topology: the members and what they spawned in their process groups. */
function topologyPids(): number[] {
  const members = ledgerChildren().map((c) => c.pid)
  const spawned = members.flatMap((pid) => processesInGroup(pid).map((p) => p.pid))
  for (const pid of [...members, ...spawned]) if (!started.includes(pid)) started.push(pid)
  return [...new Set([...members, ...spawned])]
}

function harnessPid(run: CliRun): number {
  return run.child.pid!
}

async function killDuring(phase: RegExp, scenario: string, out: string): Promise<{ run: CliRun; pids: number[] }> {
  const run = runLoadlab(['run', scenario, '--out', out], { env })
  started.push(harnessPid(run))
  await waitFor(() => phase.test(run.stderr()) || run.child.exitCode !== null, 150_000, `phase ${phase}`)
  expect(run.child.exitCode, run.stderr()).toBeNull()
  const pids = topologyPids()
  return { run, pids }
}

async function doctor(): Promise<string> {
  const run = runLoadlab(['doctor'], { env })
  await run.exited
  return run.stdout()
}

describe('SIGKILL of the harness', () => {
  it(
    'during seeding: every member (roles, redis-server, HAProxy) stops by itself',
    async () => {
      const { run, pids } = await killDuring(/seeding\.\.\./, scenarioFile('kill-seeding', 'haproxy'), path.join(dir, 'out-seeding'))
      // 2 shards, redis, 2 replicas, the balancer and its HAProxy
      expect(pids.length).toBeGreaterThanOrEqual(7)
      run.child.kill('SIGKILL')
      await run.exited
      await waitFor(() => pids.every((pid) => !isAlive(pid)), 30_000, 'every member to exit after the harness died')
      expect(await doctor()).toContain('no process left by a killed run')
    },
    CASE_TIMEOUT_MS,
  )

  it(
    'during warm-up: every member (roles, redis-server, nginx) stops by itself',
    async () => {
      const { run, pids } = await killDuring(/warm-up\.\.\./, scenarioFile('kill-warmup', 'nginx'), path.join(dir, 'out-warmup'))
      expect(pids.length).toBeGreaterThanOrEqual(7) // nginx runs a master and a worker
      run.child.kill('SIGKILL')
      await run.exited
      await waitFor(() => pids.every((pid) => !isAlive(pid)), 30_000, 'every member to exit after the harness died')
      expect(await doctor()).toContain('no process left by a killed run')
    },
    CASE_TIMEOUT_MS,
  )

  it(
    'during measurement, with the balancer killed too: doctor stops the orphaned HAProxy and only it',
    async () => {
      const { run, pids } = await killDuring(/ s left/, scenarioFile('kill-measuring', 'haproxy'), path.join(dir, 'out-measuring'))
      const balancer = ledgerChildren().find((c) => c.member === 'balancer')!
      const haproxy = processesInGroup(balancer.pid)
        .filter((p) => p.comm === 'haproxy')
        .map((p) => p.pid)
      expect(haproxy.length).toBeGreaterThanOrEqual(1)
      // The balancer dies without closing, then the harness: nobody is left to stop HAProxy.
      process.kill(balancer.pid, 'SIGKILL')
      run.child.kill('SIGKILL')
      await run.exited
      const others = pids.filter((pid) => !haproxy.includes(pid))
      await waitFor(() => others.every((pid) => !isAlive(pid)), 30_000, 'the other members to exit after the harness died')
      expect(haproxy.filter(isAlive)).toEqual(haproxy)

      const said = await doctor()
      expect(said).toMatch(/stopped \d+ process(es)? left running by a LoadLab run that was killed/)
      expect(said).toContain('balancer (haproxy)')
      await waitFor(() => haproxy.every((pid) => !isAlive(pid)), 10_000, 'the orphaned HAProxy to be stopped')
      expect(readdirSync(runtimeDir).filter((f) => f.endsWith('.jsonl'))).toEqual([])
    },
    CASE_TIMEOUT_MS,
  )
})

/** A small topology for the npx cases: what matters is that a run is measuring when npx is stopped. */
function smallScenario(name: string): string {
  const file = path.join(dir, `${name}.ts`)
  writeFileSync(
    file,
    `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: ${JSON.stringify(name)}, kind: 'performance', description: '',
  topology: { replicas: 1, shards: 1 },
  workload: { mix: { get_customer: 8, update_customer: 2 }, keys: { kind: 'uniform' }, datasetSize: 500 },
  warmup: { durationS: 1 },
  load: { model: 'closed', connections: 2, durationS: 60 },
})
`,
  )
  return file
}

/**
 * Runs `npx loadlab run` until it measures, stops npx (npx alone, as a process manager or CI job
 * would) and checks that the run stopped, wrote its reports with `exitCode` and left no process.
 */
async function stopNpxDuringRun(name: string, signal: 'SIGINT' | 'SIGTERM', npmEnv: NodeJS.ProcessEnv): Promise<{ stderr: string; suite: SuiteResult }> {
  const out = path.join(dir, `out-${name}`)
  const npx = spawn('npx', ['--no-install', 'loadlab', 'run', smallScenario(name), '--out', out], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, ...npmEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(npx.pid!)
  let stderr = ''
  npx.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  npx.stdout!.on('data', () => undefined)
  // The pipes stay open as long as anything launched by npx holds them: the real loadlab too.
  const pipesClosed = Promise.all([new Promise((r) => npx.stdout!.once('close', r)), new Promise((r) => npx.stderr!.once('close', r))])
  await waitFor(() => / s left/.test(stderr) || npx.exitCode !== null, 150_000, `the measured phase under npx (${name})`)
  expect(npx.exitCode, stderr).toBeNull()
  const pids = topologyPids()
  const harnesses = readdirSync(runtimeDir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => Number(f.split('-')[0]))
  expect(harnesses.length).toBe(1)
  started.push(...harnesses)

  npx.kill(signal)
  // Bounded by the measured phase: a run that ignored the signal would hold the pipes until its end.
  await pipesClosed
  expect(harnesses.filter(isAlive)).toEqual([])
  expect(pids.filter(isAlive)).toEqual([])
  const suite = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult
  expect(suite.runs.at(-1)?.status).toBe('aborted')
  expect(suite.runs.at(-1)?.metrics.http_reqs.count).toBeGreaterThan(0)
  for (const report of ['index.html', 'junit.xml', 'summary.md']) expect(existsSync(path.join(out, report)), report).toBe(true)
  return { stderr, suite }
}

describe('npx loadlab run stopped by a signal to npx', () => {
  it(
    'SIGINT: npm passes it on to LoadLab (the project runs npm scripts with bash), which stops with 130',
    async () => {
      const { stderr, suite } = await stopNpxDuringRun('npx-int', 'SIGINT', {})
      expect(stderr).toMatch(/SIGINT: stopping the current run/)
      expect(suite.verdict.exitCode).toBe(130)
    },
    CASE_TIMEOUT_MS,
  )

  it(
    'SIGTERM with npm running scripts through sh, which keeps signals from LoadLab: LoadLab notices npm is gone and stops with 143',
    async () => {
      const { stderr, suite } = await stopNpxDuringRun('npx-term', 'SIGTERM', { npm_config_script_shell: 'sh' })
      expect(stderr).toMatch(/the process that launched LoadLab \(npm, pid \d+\) exited: stopping the current run/)
      expect(suite.verdict.exitCode).toBe(143)
    },
    CASE_TIMEOUT_MS,
  )
})
