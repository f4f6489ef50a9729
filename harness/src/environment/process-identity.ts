import { readdirSync, readFileSync } from 'node:fs'

// What /proc says about a process: enough to tell "the process we started" from a process that
// merely got the same pid later. A pid is reused freely, but (pid, start time) is unique for the
// life of the machine, and the command line tells what the process runs. Linux only: elsewhere
// every reader returns null and nothing is ever taken for ours.

export interface ProcessIdentity {
  pid: number
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat): fixed at fork, kept across exec. */
  startTicks: number
  /** Process group id: a member started with its own group shares it with what it spawned (HAProxy, nginx). */
  pgid: number
  /** Short program name (/proc/<pid>/comm), e.g. "node", "haproxy", "redis-server". */
  comm: string
  /** 'Z' for a zombie (exited, not yet reaped by its parent). */
  state: string
}

/** The identity of `pid`, or null when no such process exists (or /proc cannot be read). */
export function readProcessIdentity(pid: number): ProcessIdentity | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // "pid (comm) state ppid pgrp ..."; comm may itself contain spaces and parentheses.
  const open = stat.indexOf('(')
  const close = stat.lastIndexOf(')')
  if (open < 0 || close < open) return null
  const fields = stat.slice(close + 2).split(' ')
  const startTicks = Number(fields[19])
  const pgid = Number(fields[2])
  if (!Number.isFinite(startTicks) || !Number.isFinite(pgid)) return null
  return { pid, startTicks, pgid, comm: stat.slice(open + 1, close), state: fields[0] ?? '' }
}

/** The command line of `pid` as one space-joined string, or null when it cannot be read. */
export function readCommandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((part) => part !== '')
      .join(' ')
  } catch {
    return null
  }
}

/** true when `pid` still is the very process identified earlier by its start time (and not a zombie). */
export function isSameProcess(pid: number, startTicks: number): boolean {
  const now = readProcessIdentity(pid)
  return now !== null && now.startTicks === startTicks && now.state !== 'Z'
}

/** Every process of process group `pgid` (read from /proc), zombies excluded. */
export function processesInGroup(pgid: number): ProcessIdentity[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  const out: ProcessIdentity[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const id = readProcessIdentity(Number(entry))
    if (id && id.pgid === pgid && id.state !== 'Z') out.push(id)
  }
  return out
}
