import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

// Labels on every container LoadLab starts. Without Ryuk nothing outside LoadLab removes its
// containers, so the labels must say enough to decide, later and from another process, whether a
// container is still wanted: which run it belongs to, and which harness process started it.

/** The run a container belongs to (`docker ps --filter label=loadlab.run=<id>`). */
export const LABEL_RUN = 'loadlab.run'
/** The member it plays: replica-1, shard-0, balancer, redis, toxiproxy. */
export const LABEL_MEMBER = 'loadlab.member'
/** The harness process that owns it: "<host>/<pid>/<process start time>". */
export const LABEL_HARNESS = 'loadlab.harness'

/** A new run id: readable, sortable by time, unique enough for one machine ("20250101-120000-3fa2"). */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${stamp}-${randomBytes(2).toString('hex')}`
}

/** This process as the harness label names it. The start time tells a live process from a new one that reused its pid. */
export function harnessIdentity(pid = process.pid): string {
  return `${hostname()}/${pid}/${processStartTime(pid) ?? '?'}`
}

/**
 * Whether the harness a label names still runs: 'alive', 'dead' (its containers are leftovers),
 * or 'elsewhere' (another host started them; only that host can tell).
 */
export function harnessState(identity: string): 'alive' | 'dead' | 'elsewhere' {
  const [host, pidText, started] = identity.split('/')
  if (host !== hostname()) return 'elsewhere'
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) return 'dead'
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'dead'
  }
  const now = processStartTime(pid)
  return started === '?' || now === null || now === started ? 'alive' : 'dead'
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null without /proc. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}
