import type { ChildProcess } from 'node:child_process'

// Every child process LoadLab starts is listed here until it exits, so nothing outlives the
// harness: on a normal exit, an uncaught error, or a second Ctrl-C the remaining children are
// killed synchronously (process 'exit' handlers cannot wait).

const live = new Set<ChildProcess>()
const paused = new WeakSet<ChildProcess>()
let exitHookInstalled = false

/** Called right after a spawn; the child is forgotten when it exits. */
export function registerChild(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', killAllChildrenSync)
  }
}

/** Called when a child is stopped with SIGSTOP / continued with SIGCONT (a stopped child ignores SIGTERM until continued). */
export function markPaused(child: ChildProcess, isPaused: boolean): void {
  if (isPaused) paused.add(child)
  else paused.delete(child)
}

export function isPaused(child: ChildProcess): boolean {
  return paused.has(child)
}

/** pids of the children still alive (for tests and the pid file). */
export function liveChildPids(): number[] {
  return [...live].map((c) => c.pid).filter((pid): pid is number => pid !== undefined)
}

/** Last resort (process exit, second Ctrl-C): SIGCONT then SIGKILL to every live child. */
export function killAllChildrenSync(): void {
  for (const child of live) {
    try {
      if (paused.has(child)) child.kill('SIGCONT')
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
  live.clear()
}
