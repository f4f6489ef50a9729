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
}

/** Spawns `node harness/bin/loadlab.js ...args` from the repo root (or `cwd`), capturing its output. */
export function runLoadlab(args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO_ROOT): CliRun {
  const child = spawn(process.execPath, [LOADLAB_BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 9) : 1)))
  })
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** Waits until `predicate` holds, polling every 100 ms, up to `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
