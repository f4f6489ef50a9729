import { readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { childLine, harnessLine, type ChildRecord, type HarnessRecord } from './process-ledger.js'
import { isSameProcess, processesInGroup, readCommandLine, readProcessIdentity } from './process-identity.js'
import { runtimeDirPath } from './runtime-dir.js'

// Members die with their harness on their own (they watch a pipe from it, or get a parent-death
// signal). What can still be left after a harness was killed: a member that was paused at that
// moment and never saw its pipe close, or the HAProxy/nginx of a balancer that was killed itself.
// The ledger names them; this stops them, and only them:
//   - never while the harness that started them still runs (same pid AND same start time),
//   - a pid only if it still has the recorded start time (a reused pid has another) and its
//     command line still contains what was recorded,
//   - a process of a member's group only if it started after the member and is a balancer
//     engine the balancer role runs.

/** Programs a member may start in its own process group (the balancer role's engines). */
const MEMBER_SPAWNED = new Set(['haproxy', 'nginx'])

export interface ReapedProcess {
  pid: number
  /** The member it was (or belonged to): "shard-0", "balancer (haproxy)". */
  member: string
  /** pid of the harness that started it and is gone. */
  harnessPid: number
}

export interface ReapReport {
  reaped: ReapedProcess[]
  /** Ledger files of harnesses still running (left alone). */
  liveHarnesses: number
}

/**
 * Stops what dead harnesses left running and deletes their ledger files. Called by `loadlab run`
 * before it starts anything, by `loadlab doctor` and by `loadlab sut up`. Never throws.
 */
export function reapLeftovers(dir = runtimeDirPath()): ReapReport {
  const report: ReapReport = { reaped: [], liveHarnesses: 0 }
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'))
  } catch {
    return report
  }
  for (const name of files) {
    const file = path.join(dir, name)
    const ledger = readLedger(file)
    if (ledger === null) {
      rmSync(file, { force: true }) // no harness line: nothing in it could be verified
      continue
    }
    if (isSameProcess(ledger.harness.pid, ledger.harness.startTicks)) {
      report.liveHarnesses++
      continue
    }
    for (const child of ledger.children) report.reaped.push(...reapChild(child, ledger.harness.pid))
    rmSync(file, { force: true })
  }
  return report
}

/** One line for the user about what was stopped, or null when nothing was. */
export function describeReaped(report: ReapReport): string | null {
  if (report.reaped.length === 0) return null
  const harnesses = [...new Set(report.reaped.map((r) => r.harnessPid))]
  const list = report.reaped.map((r) => `${r.member} (pid ${r.pid})`).join(', ')
  return `stopped ${report.reaped.length} process${report.reaped.length === 1 ? '' : 'es'} left running by ${harnesses.length === 1 ? `a LoadLab run that was killed (pid ${harnesses[0]})` : `${harnesses.length} LoadLab runs that were killed`}: ${list}`
}

function reapChild(child: ChildRecord, harnessPid: number): ReapedProcess[] {
  const reaped: ReapedProcess[] = []
  const leader = readProcessIdentity(child.pid)
  const leaderGone = leader === null || leader.state === 'Z'
  const leaderOurs = !leaderGone && leader.startTicks === child.startTicks && commandLineMatches(child.pid, child.match)
  // A live process with this pid that is not ours means the pid was reused, which the kernel
  // allows only after the member's whole process group was gone: nothing here is ours.
  if (!leaderGone && !leaderOurs) return reaped
  const spawned = processesInGroup(child.pid).filter((p) => p.pid !== child.pid && p.startTicks >= child.startTicks && MEMBER_SPAWNED.has(p.comm))
  if (leaderOurs) {
    kill(child.pid)
    reaped.push({ pid: child.pid, member: child.member, harnessPid })
  }
  for (const p of spawned) {
    kill(p.pid)
    reaped.push({ pid: p.pid, member: `${child.member} (${p.comm})`, harnessPid })
  }
  return reaped
}

function commandLineMatches(pid: number, match: readonly string[]): boolean {
  const cmdline = readCommandLine(pid)
  return cmdline !== null && match.every((part) => cmdline.includes(part))
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL') // works on a stopped (paused) process too
  } catch {
    // gone meanwhile
  }
}

function readLedger(file: string): { harness: HarnessRecord; children: ChildRecord[] } | null {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return null
  }
  let harness: HarnessRecord | null = null
  const children: ChildRecord[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      continue // a line cut short by a kill mid-write
    }
    const h = harnessLine.safeParse(json)
    if (h.success) harness ??= h.data
    const c = childLine.safeParse(json)
    if (c.success) children.push(c.data)
  }
  return harness ? { harness, children } : null
}
