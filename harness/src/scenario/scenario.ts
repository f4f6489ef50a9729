import type { z } from 'zod'
import type { LoadModel } from '../workload/workload.js'
import type { Slo } from '../results/results-schema.js'
import type { MatrixPath } from './matrix-paths.js'
import type { HttpWorkload } from '../workload/http-workload.js'
import type { httpSpecSchema, httpStepSpecSchema } from './http-scenario-schema.js'
import type {
  emulationSchema,
  faultSchema,
  linkConditionSchema,
  loadSchema,
  quickSchema,
  resourcesSchema,
  scenarioSchema,
  stressSchema,
  syncSchema,
  thresholdsSchema,
  topologySchema,
  workloadSchema,
} from './scenario-schema.js'

// A scenario's types, inferred from the zod schema in scenario-schema.ts (one description of the
// shape: it checks a file at run time, fills in the defaults and gives the editor its completion
// and hover text): `z.input` is what a scenario file's author writes (defaults optional),
// `z.output` the same with the defaults filled in. The names it uses (scenario-names.ts) are
// exported from here too.

export * from './scenario-names.js'
import type { EnvironmentName } from './scenario-names.js'

/** How a network link behaves for the whole run (Toxiproxy, containers environment): latency and bandwidth. */
export type LinkCondition = z.output<typeof linkConditionSchema>
/** Docker limits of one member's container: `cpus` (CPU quota, 0.5 = half a core) and `memoryMb`. */
export type ResourceSpec = z.output<typeof resourcesSchema>
/** A downstream system keeping a copy of the customers, and how changes reach it (as written; defaults optional). */
export type SyncSpec = z.input<typeof syncSchema>
/** Emulated capacity of one process: `off`, `constant:<ms>` or `exp:<ms>` per request, `slots` served at once (as written). */
export type EmulationSpec = z.input<typeof emulationSchema>

/** A topology as a scenario file writes it (every field optional). */
export type TopologySpec = z.input<typeof topologySchema>
/** A topology with every default filled in: what the environment starts. */
export type Topology = z.output<typeof topologySchema>

/**
 * The value at a dotted path of the (resolved) topology: 'cache.strategy' -> CacheStrategy.
 * Never for a path the topology lacks.
 */
type TopologyValueAt<T, P extends string> = P extends `${infer Key}.${infer Rest}`
  ? Key extends keyof T
    ? TopologyValueAt<NonNullable<T[Key]>, Rest>
    : never
  : P extends keyof T
    ? NonNullable<T[P]>
    : never

/**
 * Topology field path -> the values to try; every combination is a run (cell). Written here,
 * not inferred: the schema keeps a matrix a plain record (validateScenario checks its paths and
 * tries each value in place, to name the allowed ones), so the typed view is built from
 * MATRIX_PATHS and the inferred Topology. A scenario with `target` varies `target` instead:
 * versions of the user's own service.
 */
export type MatrixSpec = { [P in MatrixPath]?: Array<TopologyValueAt<Topology, P>> } & { target?: string[] }

/** A path in MATRIX_PATHS that the topology schema lacks is a compile error here. */
type UnknownMatrixPaths = { [P in MatrixPath]: [TopologyValueAt<Topology, P>] extends [never] ? P : never }[MatrixPath]
const everyMatrixPathIsATopologyField: [UnknownMatrixPaths] extends [never] ? true : UnknownMatrixPaths = true
void everyMatrixPathIsATopologyField

export type WorkloadSpec = z.input<typeof workloadSchema>
/** One request of the user's own service; strings in path, query, headers and body may hold `${...}` templates. */
export type HttpStepSpec = z.input<typeof httpStepSpecSchema>
export type HttpSpec = z.input<typeof httpSpecSchema>
export type LoadSpec = z.input<typeof loadSchema>
export type FaultSpec = z.output<typeof faultSchema>
export type ThresholdSpec = z.input<typeof thresholdsSchema>
export type StressSpec = z.output<typeof stressSchema>

/** Shorter settings used by `--quick` (tests, a first look); anything left out gets a quick default. */
export type QuickOverrides = Omit<z.input<typeof quickSchema>, 'matrix'> & {
  /** Topology field path -> values for the quick runs, instead of `matrix`. */
  matrix?: MatrixSpec
}

/** What a scenario file (scenarios/*.ts) declares in `defineScenario({...})`; the matrices typed by path. */
export type ScenarioDefinition = Omit<z.input<typeof scenarioSchema>, 'matrix' | 'quick'> & {
  /** Topology field path -> values; every combination of values is a run (cell). */
  matrix?: MatrixSpec
  quick?: QuickOverrides
}

/** A scenario file's content once checked, with every default filled in. */
type ParsedScenario = z.output<typeof scenarioSchema>

/**
 * A validated scenario with every default filled in: what `loadScenario` returns and the runner
 * plans from. `quick` has already been applied when the user asked for `--quick`.
 */
export type Scenario = Pick<ParsedScenario, 'name' | 'kind' | 'description' | 'matrix' | 'repetitions' | 'faults' | 'thresholds'> & {
  /** Where the topology runs (the scenario's `environment`, or `--env`). */
  environment: EnvironmentName
  /** Absolute path of the scenario file, or null when built in code. */
  file: string | null
  /** null when the scenario targets an external system. */
  topology: Topology | null
  target: URL | null
  /** The CRM workload; for an HTTP scenario an empty mix and dataset, with its seed and request timeout. */
  workload: z.output<typeof workloadSchema>
  /** The user's own service's requests and flows, resolved (data read, env looked up); null for CRM scenarios. */
  http: HttpWorkload | null
  load: LoadModel
  /** Minimum warm-up (s). */
  warmupS: number
  /** Longest warm-up (s) when per-second figures keep improving; equal to warmupS for a fixed one. */
  warmupMaxS: number
  slo: Slo | null
  stress: StressSpec | null
  capacity: Required<NonNullable<ParsedScenario['capacity']>> | null
  quick: z.output<typeof quickSchema> | null
  /** Old spellings the scenario file used, each a sentence to print as a note (`x is deprecated, write y instead`). */
  deprecations: string[]
}
