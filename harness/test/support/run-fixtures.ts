import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

// Helpers for tests that run the real `loadlab` command and check what it leaves behind.

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..')
export const LOADLAB_BIN = path.join(REPO_ROOT, 'harness/bin/loadlab.js')

/** true while a process with this pid exists (and is not a zombie we could still reap). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  // A zombie (exited, not yet reaped by its parent) is not a running process.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) Z /.test(stat)
  } catch {
    return true
  }
}

/** pids listed in a run's pids.txt ("<pid> <member>" per line). */
export function pidsIn(file: string): number[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => Number(line.split(' ')[0]))
    .filter((pid) => Number.isInteger(pid) && pid > 0)
}

export interface CliRun {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or 128 + signal number). */
  exited: Promise<number>
  /** True once the run was stopped because it outlived its timeout. */
  timedOut: () => boolean
}

export interface RunLoadlabOptions {
  /** Extra environment variables. */
  env?: NodeJS.ProcessEnv
  /** Working folder (default: the repo root). */
  cwd?: string
  /**
   * The run is stopped after this long: SIGINT first (loadlab then stops every member and writes
   * what it measured), SIGKILL after a grace period, then every member left in its pids.txt.
   * Keep it below the test's own timeout, so the test fails with this run's output instead of
   * vitest abandoning a live process. Default 90 s (vitest's timeout here is 120 s).
   */
  timeoutMs?: number
}

const INTERRUPT_GRACE_MS = 15_000
const running = new Set<{ child: ChildProcess; pidFile: string | null }>()

/** The pids.txt a run writes: <--out>/pids.txt, when the arguments name an output folder. */
function pidFileOf(args: readonly string[], cwd: string): string | null {
  const i = args.indexOf('--out')
  return i >= 0 && args[i + 1] ? path.resolve(cwd, args[i + 1]!, 'pids.txt') : null
}

function killMembers(pidFile: string | null): void {
  if (!pidFile) return
  for (const pid of pidsIn(pidFile)) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
}

/** Spawns `node harness/bin/loadlab.js ...args` from the repo root (or `cwd`), capturing its output; stopped for sure after `timeoutMs`. */
export function runLoadlab(args: string[], options: RunLoadlabOptions = {}): CliRun {
  const cwd = options.cwd ?? REPO_ROOT
  const child = spawn(process.execPath, [LOADLAB_BIN, ...args], { cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const entry = { child, pidFile: pidFileOf(args, cwd) }
  running.add(entry)
  let out = ''
  let err = ''
  let timedOut = false
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const timeoutMs = options.timeoutMs ?? 90_000
  let killTimer: NodeJS.Timeout | undefined
  const timer = setTimeout(() => {
    timedOut = true
    err += `\n[test] loadlab ${args.join(' ')} still ran after ${timeoutMs} ms: sent SIGINT\n`
    child.kill('SIGINT')
    killTimer = setTimeout(() => {
      err += `[test] no exit ${INTERRUPT_GRACE_MS} ms after SIGINT: sent SIGKILL\n`
      child.kill('SIGKILL')
    }, INTERRUPT_GRACE_MS)
  }, timeoutMs)
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      clearTimeout(killTimer)
      running.delete(entry)
      if (timedOut) killMembers(entry.pidFile)
      resolve(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 9) : 1))
    })
  })
  return { child, stdout: () => out, stderr: () => err, exited, timedOut: () => timedOut }
}

/**
 * Kills every loadlab this file started that still runs, and the members in their pids.txt.
 * Call it from afterAll: a test that failed or timed out must not leave a run behind.
 */
export function killLeftoverRuns(): void {
  for (const entry of [...running]) {
    if (entry.child.exitCode === null && entry.child.signalCode === null) entry.child.kill('SIGKILL')
    killMembers(entry.pidFile)
    running.delete(entry)
  }
}

/** Waits until `predicate` holds, polling every 100 ms, up to `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
