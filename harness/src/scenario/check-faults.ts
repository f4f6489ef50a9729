import { loadDurationS } from './load-duration.js'
import type { PlannedRun } from './plan-runs.js'
import type { Topology } from './scenario.js'

// Faults are checked against every planned run before anything starts: a member that no cell of
// the matrix has (a typo), or a time after the measured phase ends, would otherwise be noticed
// only as "not applied" after the whole suite ran. A member that only some cells have is fine:
// comparing a strategy that has a member (downstream, a broker) with one that has none under the
// same fault is the point of such a matrix; the cells without it record the fault as not applied.

/** The member names a topology starts (local-environment.ts names them the same way). */
export function memberNames(t: Topology): string[] {
  const sync = t.sync?.strategy ?? 'none'
  return [
    // With store postgres the local environment runs one PostgreSQL server (`postgres`, shards are
    // its schemas); the containers environment runs a PostgreSQL container per shard (`shard-<n>`).
    ...(sync === 'queue-push' ? [t.sync?.broker ?? 'rabbitmq'] : []),
    ...Array.from({ length: t.shards }, (_, i) => `shard-${i}`),
    ...(t.store === 'postgres' ? ['postgres'] : []),
    ...(sync !== 'none' ? ['downstream'] : []),
    ...(t.cache.strategy === 'redis' || t.cache.strategy === 'memcached' ? [t.cache.strategy] : []),
    ...Array.from({ length: t.replicas }, (_, i) => `replica-${i + 1}`),
    ...(t.replicas > 1 ? ['balancer'] : []),
  ]
}

/** One line per problem, naming the fault by its index in `faults` and the cells it fails in; empty when all is well. */
export function faultProblems(runs: readonly PlannedRun[]): string[] {
  const problems: string[] = []
  const first = runs[0]
  if (!first) return problems
  first.faults.forEach((fault, i) => {
    const where = `faults[${i}] (${fault.action} ${fault.member ?? fault.link} at ${fault.atS} s)`
    const missingIn = new Map<string, string[]>()
    const tooLateIn = new Map<number, string[]>()
    for (const run of uniqueCells(runs)) {
      const label = run.cellLabel
      // A fault on a link (containers) names no member: the environment says which links a cell lacks.
      if (run.topology && fault.member !== undefined) {
        const members = memberNames(run.topology)
        if (!members.includes(fault.member)) missingIn.set(label, members)
      }
      const durationS = loadDurationS(run.workload.load)
      if (fault.atS >= durationS) tooLateIn.set(durationS, [...(tooLateIn.get(durationS) ?? []), label])
    }
    if (missingIn.size > 0 && missingIn.size === cellsWithTopology(runs)) {
      const [firstCell, someMembers] = [...missingIn.entries()][0]!
      const cells = [...missingIn.keys()]
      problems.push(
        `${where}: ${describeCells(cells)} ${cells.length === 1 ? 'has' : 'have'} no member "${fault.member}" ` +
          `(members of "${firstCell}": ${someMembers.join(', ')}); name a member of the topology`,
      )
    }
    for (const [durationS, cells] of tooLateIn) {
      problems.push(
        `${where}: the measured phase lasts ${durationS} s${cells.length === uniqueCells(runs).length ? '' : ` in ${describeCells(cells)}`}, so the fault would never happen; ` +
          `give atS below ${durationS} (seconds from the start of the measured phase)`,
      )
    }
  })
  return problems
}

/**
 * One line per fault whose member only some cells have: those cells record it as not applied.
 * Printed before the suite starts, so a comparison that leaves a cell without the fault says so.
 */
export function faultNotes(runs: readonly PlannedRun[]): string[] {
  const first = runs[0]
  if (!first) return []
  const notes: string[] = []
  first.faults.forEach((fault, i) => {
    const without = uniqueCells(runs)
      .filter((run) => faultMissingMember(run, fault) !== null)
      .map((run) => run.cellLabel)
    if (without.length > 0 && without.length < cellsWithTopology(runs)) {
      notes.push(
        `faults[${i}] (${fault.action} ${fault.member} at ${fault.atS} s): ${describeCells(without)} ${without.length === 1 ? 'has' : 'have'} no member "${fault.member}"; recorded there as not applied`,
      )
    }
  })
  return notes
}

function cellsWithTopology(runs: readonly PlannedRun[]): number {
  return uniqueCells(runs).filter((r) => r.topology).length
}

/** Why `fault` cannot apply in this run (its member is not in this cell's topology), or null when it can. */
export function faultMissingMember(run: Pick<PlannedRun, 'topology' | 'cellLabel'>, fault: PlannedRun['faults'][number]): string | null {
  if (!run.topology || fault.member === undefined) return null
  if (memberNames(run.topology).includes(fault.member)) return null
  return `not applied: cell "${run.cellLabel}" has no member "${fault.member}"`
}

/** One run per cell (and stress step): repetitions share topology and load. */
function uniqueCells(runs: readonly PlannedRun[]): PlannedRun[] {
  return [...new Map(runs.map((r) => [r.cellLabel, r])).values()]
}

function describeCells(labels: readonly string[]): string {
  const named = labels.map((l) => `"${l}"`)
  const shown = named.slice(0, 4).join(', ')
  return `${labels.length === 1 ? 'cell' : 'cells'} ${shown}${named.length > 4 ? `, ... ${named.length} in all` : ''}`
}
