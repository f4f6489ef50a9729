import { accessSync, constants } from 'node:fs'
import { EnvironmentError } from './environment.js'

// A child that is not ours to change (redis-server) cannot watch a pipe from the harness. Linux
// can instead send it a signal when the thread that started it dies (PR_SET_PDEATHSIG), which
// util-linux's `setpriv --pdeathsig` sets before exec'ing the program: the pid stays the same.
// Our own roles watch their stdin instead, but also get SIGCONT this way, so a member that was
// paused (SIGSTOP fault) when the harness died wakes up to see its stdin closed.
// setpriv also drops root for servers that refuse it (memcached, PostgreSQL) when LoadLab runs as
// root; the death signal is set after that, so it holds, where a server dropping privileges
// itself (memcached -u) would clear it.

/** A user (and group) to run a child as. */
export interface RunAs {
  user: string
  group: string
}

/** True when the harness runs as root, so servers that refuse root must be started as another user. */
export function runningAsRoot(): boolean {
  return process.getuid?.() === 0
}

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv']
let setpriv: string | null | undefined

function findSetpriv(): string | null {
  if (setpriv !== undefined) return setpriv
  setpriv = null
  for (const file of SETPRIV_PATHS) {
    try {
      accessSync(file, constants.X_OK)
      setpriv = file
      break
    } catch {
      // not here
    }
  }
  return setpriv
}

/**
 * The command and arguments that run `command args` with `signal` as its parent-death signal, or
 * them unchanged where setpriv is missing (not Linux): the ledger and reaper still cover that case.
 */
export function withParentDeathSignal(
  command: string,
  args: readonly string[],
  signal: 'SIGKILL' | 'SIGCONT',
  runAs?: RunAs,
): { command: string; args: string[] } {
  const wrapper = findSetpriv()
  if (!wrapper) {
    if (runAs) throw new EnvironmentError(`${command} must run as user ${runAs.user} (LoadLab runs as root), which needs setpriv: install util-linux`)
    return { command, args: [...args] }
  }
  const identity = runAs ? [`--reuid=${runAs.user}`, `--regid=${runAs.group}`, '--init-groups'] : []
  return { command: wrapper, args: [...identity, '--pdeathsig', signal, '--', command, ...args] }
}
