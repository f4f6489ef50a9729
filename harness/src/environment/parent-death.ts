import { accessSync, constants } from 'node:fs'

// A child that is not ours to change (redis-server) cannot watch a pipe from the harness. Linux
// can instead send it a signal when the thread that started it dies (PR_SET_PDEATHSIG), which
// util-linux's `setpriv --pdeathsig` sets before exec'ing the program: the pid stays the same.
// Our own roles watch their stdin instead, but also get SIGCONT this way, so a member that was
// paused (SIGSTOP fault) when the harness died wakes up to see its stdin closed.

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
export function withParentDeathSignal(command: string, args: readonly string[], signal: 'SIGKILL' | 'SIGCONT'): { command: string; args: string[] } {
  const wrapper = findSetpriv()
  if (!wrapper) return { command, args: [...args] }
  return { command: wrapper, args: ['--pdeathsig', signal, '--', command, ...args] }
}
