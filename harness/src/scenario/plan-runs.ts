import type { Workload } from '../workload/workload.js'
import { loadDurationS } from './load-duration.js'
import { labelForPath, setTopologyPath } from './matrix-paths.js'
import type { FaultSpec, Scenario, Topology } from './scenario.js'
import { topologySchema } from './scenario-schema.js'

/** One run to execute: a matrix cell (and stress step) at one repetition. */
export interface PlannedRun {
  /** Unique in the suite and readable: "cache=lru #2". */
  id: string
  /** Matrix values of this cell (and `rate` for a stress step); equal for all repetitions. */
  cell: Record<string, string | number>
  cellLabel: string
  /** 1-based. */
  repetition: number
  /** null for an external target. */
  topology: Topology | null
  /** The external target this run loads (the scenario's, or the cell's with a matrix over `target`); null for a local topology. */
  target: URL | null
  workload: Workload
  /** Minimum warm-up (s); the runner goes on while the system is still warming, up to warmupMaxS. */
  warmupS: number
  warmupMaxS: number
  faults: FaultSpec[]
  /** Stress steps: the offered rate; the runner skips a cell's higher steps once past the knee. */
  stressRate?: number
  /** Stress steps: the matrix cell the step belongs to (its steps form one ramp). */
  rampLabel?: string
}

export interface RunPlan {
  scenario: Scenario
  runs: PlannedRun[]
  /** Rough wall time in seconds (start-up, seeding, warm-up and measured phases). */
  estimatedS: number
}

// Start-up and seeding of a local topology on a busy two-core machine, measured roughly.
const SETUP_ESTIMATE_S = 4

/**
 * Expands a scenario into its runs: every combination of the matrix values (in the order the
 * matrix lists them), each repeated `repetitions` times, interleaved (see `interleave`); for a
 * stress scenario, each cell becomes a ramp of rate steps, run cell after cell. Called once by
 * the runner before anything starts (and by `loadlab run` to show the plan).
 */
export function planRuns(scenario: Scenario): RunPlan {
  const cells = expandMatrix(scenario.matrix)
  const ramps = scenario.kind === 'stress' && scenario.stress !== undefined
  // Per cell: its stress steps (or the one load), each with every repetition.
  const perCell: PlannedRun[][][] = []
  for (const cell of cells) {
    const topology = scenario.topology ? cellTopology(scenario.topology, cell) : null
    const target = scenario.target === null ? null : cell.target !== undefined ? new URL(String(cell.target)) : scenario.target
    const baseLabel = cellLabelOf(cell)
    const steps = ramps ? stressRates(scenario) : [undefined]
    perCell.push(
      steps.map((rate) => {
        const fullCell = rate === undefined ? cell : { ...cell, rate }
        const label = rate === undefined ? baseLabel : cellLabelOf(fullCell)
        const workload: Workload = {
          ...(scenario.http ? { http: scenario.http } : {}),
          mix: scenario.workload.mix,
          keys: scenario.workload.keys,
          datasetSize: scenario.workload.datasetSize,
          seed: scenario.workload.seed,
          requestTimeoutMs: scenario.workload.requestTimeoutMs,
          load:
            rate === undefined || scenario.load.model !== 'open'
              ? scenario.load
              : { model: 'open', rate, durationS: scenario.stress!.stepDurationS, maxInFlight: scenario.load.maxInFlight },
        }
        return Array.from(
          { length: scenario.repetitions },
          (_, i): PlannedRun => ({
            id: `${label || scenario.name} #${i + 1}`,
            cell: fullCell,
            cellLabel: label || scenario.name,
            repetition: i + 1,
            topology,
            target,
            workload,
            warmupS: scenario.warmupS,
            warmupMaxS: scenario.warmupMaxS,
            faults: scenario.faults,
            ...(rate === undefined ? {} : { stressRate: rate, rampLabel: baseLabel || scenario.name }),
          }),
        )
      }),
    )
  }
  const runs = ramps ? perCell.flat(2) : interleave(perCell.map((steps) => steps[0]!))
  const estimatedS = runs.reduce((sum, r) => sum + (r.topology ? SETUP_ESTIMATE_S : 1) + r.warmupS + loadDurationS(r.workload.load), 0)
  return { scenario, runs, estimatedS: Math.round(estimatedS) }
}

/**
 * The order cells are measured in: repetition by repetition, alternating direction (A B C, then
 * C B A, then A B C ...). Machine drift (a neighbour's build, thermal throttling, a filling disk)
 * then lands on every cell alike instead of on whichever cell happened to run last, and a steady
 * drift cancels between rounds. A stress ramp keeps its order (its steps must rise, and higher
 * steps are skipped once past the knee).
 */
export function interleave(repetitionsPerCell: PlannedRun[][]): PlannedRun[] {
  const rounds = Math.max(0, ...repetitionsPerCell.map((r) => r.length))
  const out: PlannedRun[] = []
  for (let round = 0; round < rounds; round++) {
    const cells = round % 2 === 0 ? repetitionsPerCell : [...repetitionsPerCell].reverse()
    for (const reps of cells) if (reps[round]) out.push(reps[round]!)
  }
  return out
}

/** Cartesian product of the matrix values; one empty cell when there is no matrix. */
export function expandMatrix(matrix: Record<string, Array<string | number>>): Array<Record<string, string | number>> {
  let cells: Array<Record<string, string | number>> = [{}]
  for (const [path, values] of Object.entries(matrix)) {
    cells = cells.flatMap((cell) => values.map((value) => ({ ...cell, [path]: value })))
  }
  return cells
}

export function cellLabelOf(cell: Record<string, string | number>): string {
  return Object.entries(cell)
    .map(([path, value]) => `${labelForPath(path)}=${value}`)
    .join(' ')
}

function cellTopology(base: Topology, cell: Record<string, string | number>): Topology {
  const draft = structuredClone(base) as unknown as Record<string, unknown>
  for (const [path, value] of Object.entries(cell)) setTopologyPath(draft, path, value)
  // Validated already (validateScenario checks every matrix value); parsing fills the emulation defaults.
  return topologySchema.parse(draft)
}

function stressRates(scenario: Scenario): number[] {
  const { startRate, step, maxRate } = scenario.stress!
  const rates: number[] = []
  for (let rate = startRate; rate <= maxRate + 1e-9; rate += step) rates.push(Math.round(rate * 100) / 100)
  return rates
}
