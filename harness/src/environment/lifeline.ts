import { spawnSync } from 'node:child_process'
import { EnvironmentError } from './environment.js'

// No member may outlive the harness. The child registry kills members when the harness exits in
// any way Node sees; a harness killed with SIGKILL (or by the OOM killer) sees nothing, so every
// member is also started through util-linux's setpriv with a parent-death signal: the kernel
// sends it to the member when the harness dies. setpriv execs the member (same pid) and also
// drops root for servers that refuse it (memcached, PostgreSQL); the death signal survives that,
// where a server dropping privileges itself (memcached -u) would clear it.

export type DeathSignal = 'SIGTERM' | 'SIGINT'
export interface RunAs {
  user: string
  group: string
}

let setprivPresent: boolean | undefined

/** The command and arguments that run `command args` with `deathSignal` on harness death, as `runAs` when given. */
export function withLifeline(command: string, args: string[], deathSignal: DeathSignal, runAs?: RunAs): { command: string; args: string[] } {
  setprivPresent ??= spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0
  if (!setprivPresent) {
    if (runAs) throw new EnvironmentError(`${command} must run as user ${runAs.user} (LoadLab runs as root), which needs setpriv: install util-linux`)
    return { command, args } // no lifeline: the child registry still stops it on every exit Node sees
  }
  const identity = runAs ? [`--reuid=${runAs.user}`, `--regid=${runAs.group}`, '--init-groups'] : []
  return { command: 'setpriv', args: [...identity, '--pdeathsig', deathSignal, '--', command, ...args] }
}

/** True when the harness runs as root, so servers that refuse root must be started as another user. */
export function runningAsRoot(): boolean {
  return process.getuid?.() === 0
}
