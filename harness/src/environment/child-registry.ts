import type { ChildProcess } from 'node:child_process'
import { forgetLedger, recordChild, type ChildDescription } from './process-ledger.js'

// Every child process LoadLab starts is listed here until it exits, so nothing outlives the
// harness: on a normal exit, an uncaught error, or a second Ctrl-C the remaining children are
// killed synchronously (process 'exit' handlers cannot wait). A harness killed outright runs no
// handler at all: for that case each child is also written to the ledger (process-ledger.ts),
// and the children themselves notice the harness's death (managed-process.ts).

const live = new Set<ChildProcess>()
const paused = new WeakSet<ChildProcess>()
let exitHookInstalled = false

/** Called right after a spawn; the child is forgotten when it exits. */
export function registerChild(child: ChildProcess, description: ChildDescription): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (child.pid !== undefined) recordChild(child.pid, description)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      killAllChildrenSync()
      forgetLedger()
    })
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

/**
 * Sends `signal` to the child's whole process group (each child is started as the leader of its
 * own group, and what it spawns, such as a balancer's HAProxy, stays in it), or to the child
 * alone when it has no group of its own.
 */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      // already gone
    }
  }
}

/** Last resort (process exit, second Ctrl-C): SIGKILL to every live child and what it spawned. */
export function killAllChildrenSync(): void {
  for (const child of live) signalGroup(child, 'SIGKILL')
  live.clear()
}
