import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { analyzeSuite } from '../analysis/analyze-suite.js'
import { isPastKnee, kneePointFromRun } from '../analysis/knee.js'
import { AgentEngine, defaultAgentCount } from '../agents/agent-engine.js'
import { createEngine, type SelectableEngineName } from '../engines/engine-registry.js'
import type { LoadEngine } from '../engines/load-engine.js'
import { createEnvironment } from '../environment/create-environment.js'
import type { Environment } from '../environment/environment.js'
import { DEFAULT_TOLERANCE } from '../gates/baseline.js'
import { loadBaselineSource, type BaselineSource } from '../gates/baseline-source.js'
import { evaluateGates } from '../gates/evaluate-gates.js'
import { thresholdTargetProblems } from '../gates/check-threshold-targets.js'
import { parseThresholds, type ParsedThreshold } from '../gates/threshold-expression.js'
import { decideVerdict } from '../gates/verdict.js'
import { RESULTS_SCHEMA_VERSION, type GateResult, type KneePoint, type RunResult, type SuiteResult } from '../results/results-schema.js'
import { planRuns, type PlannedRun, type RunPlan } from '../scenario/plan-runs.js'
import { faultNotes, faultProblems } from '../scenario/check-faults.js'
import type { Scenario } from '../scenario/scenario.js'
import { ScenarioError } from '../scenario/scenario-error.js'
import { executeRun, topologyInfo } from './execute-run.js'
import { interruptionOf } from './interruption.js'
import { UsageError } from './usage-error.js'
import { machineInfo } from './machine-info.js'
import { Reporters, type Reporter, type ReporterFailure } from './reporter.js'
import { toolVersion } from './tool-version.js'

export type EngineChoice = SelectableEngineName

export interface RunSuiteOptions {
  /** Load engine; default: autocannon for closed loads, native for open (arrival-rate) loads. */
  engine?: EngineChoice
  /** Folder for the runs' logs/ and pids.txt (reporters write their files where the CLI told them); created if missing. */
  outDir: string
  /** A previous results.json, or a folder of them (a history), to compare against (regressions fail the gate). */
  baselineFile?: string
  /** Relative change tolerated before a significant regression fails (default 0.05). */
  tolerance?: number
  /** Who hears the suite's events: the console and the report files are reporters (harness/src/report/). */
  reporters?: readonly Reporter[]
  /** Called when a reporter's hook throws or rejects; the suite goes on (default: ignored). */
  onReporterError?: (failure: ReporterFailure) => void
  /** Aborting (Ctrl-C) stops the current run; finished runs are kept and reports still written. */
  signal?: AbortSignal
  /** Load agents the load is shared by (worker processes, or remote agents with agentListen); default one per spare core. */
  agents?: number
  /** Wait for remote agents (`loadlab agent`) on this address instead of starting local ones; they must present agentToken. */
  agentListen?: { host: string; port: number }
  agentToken?: string
  /** Engines other than local or remote agents: Kubernetes pods (run --k8s), and tests. */
  engineFactory?: (name: EngineChoice) => LoadEngine
  /** Test seam: production code passes none (local or external environments). */
  environmentFactory?: (logDir: string, pidFile: string) => Environment
}

export interface SuiteOutcome {
  suite: SuiteResult
  plan: RunPlan
  aborted: boolean
}

/**
 * Runs every planned run of a scenario one after the other, then analysis, gates and the verdict,
 * telling the reporters as it goes (onRunEnd after each run, onEnd with the finished suite). A
 * failing run is recorded as 'failed' and the suite goes on; an abort stops the current run, keeps
 * the finished ones and still ends with onEnd.
 */
export async function runSuite(scenario: Scenario, opts: RunSuiteOptions): Promise<SuiteOutcome> {
  const signal = opts.signal ?? new AbortController().signal
  const reporters = new Reporters(opts.reporters, opts.onReporterError)
  const baseline = opts.baselineFile ? readBaseline(opts.baselineFile) : null
  const { plan, thresholds } = checkSuite(scenario, opts)
  mkdirSync(opts.outDir, { recursive: true })
  const pidFile = path.join(opts.outDir, 'pids.txt')
  const agents = opts.agents ?? defaultAgentCount()
  const makeEngine = opts.engineFactory ?? ((name: EngineChoice) => new AgentEngine({ engine: name, agents, listen: opts.agentListen, token: opts.agentToken }))
  await reporters.emit('onPlan', plan)

  const suite: SuiteResult = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'loadlab', version: toolVersion() },
    scenario: {
      name: scenario.name,
      kind: scenario.kind,
      description: scenario.description,
      file: scenario.file,
      slo: scenario.slo,
      thresholds: scenario.thresholds,
    },
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineInfo(),
    runs: [],
    analysis: null,
    gates: null,
    verdict: { text: 'not finished', passed: false, exitCode: 1 },
  }

  const pastKnee = new Set<string>()
  const kneePoints = new Map<string, KneePoint[]>()
  for (const [index, run] of plan.runs.entries()) {
    if (signal.aborted) break
    if (run.rampLabel !== undefined && pastKnee.has(run.rampLabel)) {
      await reporters.emit('onSkip', run, 'past the knee')
      continue
    }
    await reporters.emit('onRunStart', run, index, plan.runs.length)
    const engine = makeEngine(engineFor(run, opts.engine))
    const logDir = path.join(opts.outDir, 'logs', runFolder(index, run))
    const result = await executeRun(run, {
      scenario,
      engine,
      environment: opts.environmentFactory?.(logDir, pidFile) ?? createEnvironment(scenario, logDir, pidFile, run.target),
      logDir,
      signal,
      reporters,
      thresholds,
    })
    suite.runs.push(result)
    suite.finishedAt = new Date().toISOString()
    await reporters.emit('onRunEnd', result, suite)
    if (run.rampLabel !== undefined && run.stressRate !== undefined && scenario.slo && run.repetition === scenario.repetitions) {
      const points = kneePoints.get(run.rampLabel) ?? []
      points.push(
        kneePoint(
          run,
          suite.runs.filter((r) => r.cellLabel === run.cellLabel),
          scenario,
        ),
      )
      kneePoints.set(run.rampLabel, points)
      if (safely(() => isPastKnee(points, scenario.slo!), false)) pastKnee.add(run.rampLabel)
    }
  }

  const aborted = signal.aborted
  suite.finishedAt = new Date().toISOString()
  const notes: string[] = []
  suite.analysis = safely(
    () => analyzeSuite(suite, scenario.capacity ? { targetRps: scenario.capacity.targetRps, headroom: scenario.capacity.headroom } : undefined),
    null,
    (e) => notes.push(`analysis failed: ${e}`),
  )
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE
  const gates: GateResult = safely(
    () => evaluateGates(suite, baseline ? { baseline: { source: baseline, tolerance } } : {}),
    { passed: false, thresholds: [] },
    (e) => notes.push(`gate evaluation failed: ${e}`),
  )
  suite.gates = gates
  if (suite.analysis) suite.analysis.notes.push(...notes)
  suite.verdict = safely(
    () => decideVerdict(suite),
    fallbackVerdict(suite),
    (e) => notes.push(`verdict failed: ${e}`),
  )
  if (aborted) {
    const { what, exitCode } = interruptionOf(signal.reason)
    suite.verdict = {
      text: `Stopped (${what}) after ${suite.runs.filter((r) => r.status === 'ok').length} of ${plan.runs.length} runs; ${suite.verdict.text}`,
      passed: false,
      exitCode,
    }
  }
  await reporters.emit('onEnd', suite)
  return { suite, plan, aborted }
}

/**
 * Plans the suite and checks everything that can be checked before anything starts: that each
 * run's engine can drive its load (UsageError), and that the faults and thresholds name members,
 * times, metrics, tags and operations the planned runs have (ScenarioError). Both exit 2. Called
 * by runSuite, and by `loadlab run` before it prepares the output folder.
 */
export function checkSuite(
  scenario: Scenario,
  opts: Pick<RunSuiteOptions, 'engine' | 'engineFactory'>,
): { plan: RunPlan; thresholds: ParsedThreshold[]; notes: string[] } {
  const makeEngine = opts.engineFactory ?? createEngine
  const plan = planRuns(scenario)
  const thresholds = parseThresholds(scenario.thresholds)
  // Ask each engine for its plan: a load it cannot drive is a usage error now, not a failed run
  // after minutes of start-up.
  for (const run of plan.runs) {
    const name = engineFor(run, opts.engine)
    try {
      makeEngine(name).plan(run.workload)
    } catch (error) {
      throw new UsageError(
        `--engine ${name} cannot run "${run.id}": ${error instanceof Error ? error.message : String(error)}. Use --engine ${name === 'native' ? 'autocannon' : 'native'}, or leave --engine out to pick by load model`,
      )
    }
  }
  const targets = plan.runs.map((run) => ({
    id: run.id,
    cellLabel: run.cellLabel,
    cell: run.cell,
    engine: engineFor(run, opts.engine),
    workload: run.workload,
    external: run.topology === null,
    topology: topologyInfo(scenario, run, scenario.environment),
  }))
  const problems = [...faultProblems(plan.runs), ...thresholdTargetProblems(thresholds, targets)]
  if (problems.length > 0) {
    throw new ScenarioError(`${scenario.file ?? scenario.name} cannot run as written:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
  return { plan, thresholds, notes: faultNotes(plan.runs) }
}

/** --engine, or the engine made for the load model: autocannon for closed, native for arrival rates. */
function engineFor(run: PlannedRun, choice: EngineChoice | undefined): EngineChoice {
  return choice ?? (run.workload.load.model === 'closed' ? 'autocannon' : 'native')
}

function runFolder(index: number, run: PlannedRun): string {
  const slug = run.id.replace(/[^A-Za-z0-9.=-]+/g, '-').replace(/^-+|-+$/g, '')
  return `${String(index + 1).padStart(2, '0')}-${slug}`
}

/** The knee point of a finished stress step (its last repetition that measured something). */
function kneePoint(run: PlannedRun, runs: RunResult[], scenario: Scenario): KneePoint {
  const measured = runs.filter((r) => r.metrics.http_reqs.count > 0)
  const last = measured.at(-1)
  if (!last) return { offeredRps: run.stressRate ?? 0, achievedRps: 0, latency: Number.POSITIVE_INFINITY, errorRate: 1, sloOk: false }
  return kneePointFromRun(last, scenario.slo)
}

/** --baseline: a results.json or a folder of them, validated before anything starts (exit 2 naming the path). */
function readBaseline(target: string): BaselineSource {
  try {
    return loadBaselineSource(target)
  } catch (error) {
    throw new UsageError(`--baseline ${error instanceof Error ? error.message : String(error)}`)
  }
}

function safely<T>(f: () => T, fallback: T, onError?: (message: string) => void): T {
  try {
    return f()
  } catch (error) {
    onError?.(error instanceof Error ? error.message : String(error))
    return fallback
  }
}

function fallbackVerdict(suite: SuiteResult): SuiteResult['verdict'] {
  const failed = suite.runs.filter((r) => r.status !== 'ok').length
  const gatesPassed = suite.gates?.passed ?? true
  if (!gatesPassed) return { text: 'A threshold or gate failed.', passed: false, exitCode: 99 }
  if (failed > 0) return { text: `${failed} of ${suite.runs.length} runs failed.`, passed: false, exitCode: 1 }
  return { text: `All ${suite.runs.length} runs passed.`, passed: true, exitCode: 0 }
}
