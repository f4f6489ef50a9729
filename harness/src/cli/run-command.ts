import { existsSync } from 'node:fs'
import path from 'node:path'
import { InvalidArgumentError, Option, type Command } from 'commander'
import { AGENT_ENV } from '../agents/agent-options.js'
import { defaultAgentCount } from '../agents/agent-engine.js'
import { DEPRECATED_ENGINE_NAMES, ENGINE_NAMES, resolveEngineName } from '../engines/engine-registry.js'
import { killAllChildrenSync } from '../environment/child-registry.js'
import { k8sEngines } from '../k8s/cluster/k8s-engines.js'
import { dockerRuntime } from '../environment/containers/docker-runtime.js'
import { imagePreference } from '../environment/containers/image-catalog.js'
import { SUT_MAIN } from '../environment/local-environment.js'
import { UsageError } from '../runner/usage-error.js'
import { createReporters, REPORTER_NAMES, writtenFiles } from '../report/reporter-registry.js'
import { SUMMARY_EXPORT_REPORTER, SummaryExportReporter } from '../report/summary-export-reporter.js'
import { checkSuite, runSuite, type EngineChoice } from '../runner/run-suite.js'
import { Interruption } from '../runner/interruption.js'
import { describeReaped, reapLeftovers } from '../environment/reap-leftovers.js'
import { checkOutputFolder, prepareOutputFolder, unusedFolder } from './output-folder.js'
import { launchedByNpm, watchLauncher } from './watch-launcher.js'
import { applyQuick } from '../scenario/apply-quick.js'
import { loadScenario } from '../scenario/load-scenario.js'
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../scenario/scenario.js'
import { openInBrowser } from './open-in-browser.js'

/** Exit codes after Ctrl-C (SIGINT), SIGTERM and SIGHUP, as shells report a process ended by them (128 + signal). */
export const EXIT_INTERRUPTED = 130
export const EXIT_TERMINATED = 143
export const EXIT_HANGUP = 129
const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: EXIT_INTERRUPTED, SIGTERM: EXIT_TERMINATED, SIGHUP: EXIT_HANGUP }

export interface RunCommandOptions {
  /** Load engine: one of ENGINE_NAMES, or a former name (DEPRECATED_ENGINE_NAMES) run under its new one with a note. */
  engine?: EngineChoice | string
  /** Where the topology runs; overrides the scenario's `environment`. */
  env?: EnvironmentName
  out?: string
  quick?: boolean
  baseline?: string
  tolerance?: number
  /** Open index.html in the desktop's browser at the end (the README demo). */
  open?: boolean
  /** Reporters beyond the defaults: built-in names or module paths (--reporter, repeatable). */
  reporter?: string[]
  /** Replace --out when it holds an earlier LoadLab output. */
  force?: boolean
  /** Load agents the load is shared by. */
  agents?: number
  /** Wait for remote agents on HOST:PORT instead of starting local ones. */
  agentListen?: { host: string; port: number }
  /** Also write k6's summary-export JSON here. */
  summaryExport?: string
  /** Run the agents as pods of a Kubernetes Indexed Job (with the flags below). */
  k8s?: boolean
  parallelism?: number
  coordinator?: string
  agentTarget?: string
  kubeconfig?: string
  context?: string
  namespace?: string
  image?: string
}

/** The flags that only mean something with --k8s. */
const K8S_ONLY = ['parallelism', 'coordinator', 'agentTarget', 'kubeconfig', 'context', 'namespace', 'image'] as const

/** Parses --agents: a whole number of load agents >= 1. */
export function parseAgents(text: string): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isInteger(n) || n < 1 || n > 1024) {
    throw new InvalidArgumentError(
      `"${text}" is not a number of load agents: give a whole number from 1 to 1024 (default: one per spare core, ${defaultAgentCount()} here)`,
    )
  }
  return n
}

/** Parses --agent-listen HOST:PORT (IPv6 in brackets). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text.trim())
  const port = m ? Number(m[2]) : NaN
  if (!m || !(port >= 1 && port <= 65535)) {
    throw new InvalidArgumentError(`"${text}" is not HOST:PORT: give the address remote agents connect to, for example 0.0.0.0:7070`)
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}

/** Checks --engine: a name of ENGINE_NAMES, or a former one (kept as typed: the run prints its deprecation once). */
export function parseEngine(text: string): string {
  if (resolveEngineName(text) === null) {
    throw new InvalidArgumentError(`"${text}" is not a load engine: choose one of ${ENGINE_NAMES.join(', ')}`)
  }
  return text
}

/** Parses --tolerance: a relative change such as 0.05 (5%). */
export function parseTolerance(text: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value >= 10) {
    throw new InvalidArgumentError(`"${text}" is not a tolerance: give a relative change as a number, for example 0.05 for 5%`)
  }
  return value
}

/** reports/<scenario>-<UTC timestamp>/ under the current directory. */
export function defaultOutDir(scenarioName: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-')
  const safe = scenarioName.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'scenario'
  return path.resolve('reports', `${safe}-${stamp}`)
}

/**
 * `loadlab run <scenario>`: checks --out, loads and validates the scenario, stops what killed
 * runs left behind, runs the suite with live progress, writes results.json, index.html,
 * junit.xml and summary.md, prints the table and where the report is. Ctrl-C (SIGINT), SIGTERM
 * or SIGHUP (and, under npx, the exit of npx) stops the current run, keeps what finished and
 * exits 130 (143, 129); a second signal kills every member at once. Returns the exit code
 * (0 pass, 99 gate failed, 1 run failures, 130/143/129).
 */
export async function runCommand(scenarioArg: string, opts: RunCommandOptions): Promise<number> {
  // Flag mistakes first: nothing is read, reaped or written before they are fixed.
  const k8sFlag = K8S_ONLY.find((k) => opts[k] !== undefined)
  if (!opts.k8s && k8sFlag)
    throw new UsageError(`--${k8sFlag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} only applies to --k8s runs: add --k8s, or leave it out`)
  if (opts.k8s && opts.agents !== undefined) throw new UsageError('with --k8s the agents are pods: give their number with --parallelism N instead of --agents')
  if (opts.k8s && !opts.agentListen)
    throw new UsageError('--k8s needs --agent-listen HOST:PORT: an address of this machine the pods can reach, where the run waits for them')
  if (!opts.k8s && opts.agentListen && opts.agents === undefined)
    throw new UsageError('--agent-listen needs --agents N: how many remote agents to wait for (each started with --slice I/N)')
  const engine = opts.engine === undefined ? null : resolveEngineName(opts.engine)
  if (engine === null && opts.engine !== undefined) throw new UsageError(`--engine ${opts.engine}: not a load engine; choose one of ${ENGINE_NAMES.join(', ')}`)
  const explicitOut = opts.out === undefined ? null : checkOutputFolder(opts.out, { flag: '--out', force: opts.force })
  let scenario = await loadScenario(scenarioArg, process.cwd(), { environment: opts.env })
  if (opts.quick) scenario = applyQuick(scenario)
  if (scenario.topology && !existsSync(SUT_MAIN)) {
    throw new UsageError(`the system under test is not built (${SUT_MAIN} is missing): run \`npm run build\` (or \`make build\`) first`)
  }
  // Former spellings first: they stay worth fixing even when the check below refuses the run.
  const deprecations = [...(engine?.deprecation ? [engine.deprecation] : []), ...scenario.deprecations]
  for (const note of deprecations) process.stderr.write(`note: ${note}\n`)
  for (const note of checkSuite(scenario, { engine: engine?.name }).notes) process.stderr.write(`note: ${note}\n`)
  const log = (line: string): void => {
    process.stderr.write(`loadlab coordinator: ${line}\n`)
  }
  const engineFactory = opts.k8s
    ? await k8sEngines(
        scenarioArg,
        scenario,
        {
          parallelism: opts.parallelism ?? 1,
          listen: opts.agentListen!,
          coordinator: opts.coordinator,
          agentTarget: opts.agentTarget,
          kubeconfig: opts.kubeconfig,
          context: opts.context,
          namespace: opts.namespace,
          image: opts.image,
        },
        log,
      )
    : undefined
  // Without Docker every run would fail the same way, after the plan is printed: say it once, now.
  if (scenario.topology && scenario.environment === 'containers') {
    imagePreference()
    await dockerRuntime()
  }
  const out = explicitOut ?? checkOutputFolder(unusedFolder(defaultOutDir(scenario.name)), { flag: '--out' })
  const outDir = out.dir
  // A --reporter that cannot load is refused (exit 2) before anything is reaped or written.
  const reporters = await createReporters([...(opts.reporter ?? []), ...(opts.summaryExport ? [SUMMARY_EXPORT_REPORTER] : [])], {
    outDir,
    summaryExport: opts.summaryExport,
  })
  const reaped = describeReaped(reapLeftovers())
  if (reaped) process.stderr.write(`loadlab: ${reaped}\n`)
  prepareOutputFolder(out, 'run')

  const controller = new AbortController()
  let interrupts = 0
  let interruptCode = EXIT_INTERRUPTED
  const stopSuite = (what: string, code: number): void => {
    interrupts++
    if (interrupts === 1) {
      interruptCode = code
      process.stderr.write(`\n${what}: stopping the current run and writing what was measured (press Ctrl-C again to kill everything now)\n`)
      controller.abort(new Interruption(what, code))
    } else {
      killAllChildrenSync()
      process.exit(interruptCode)
    }
  }
  const onSignal = (sig: NodeJS.Signals): void => stopSuite(sig, SIGNAL_EXIT_CODES[sig] ?? EXIT_INTERRUPTED)
  const signals = Object.keys(SIGNAL_EXIT_CODES) as NodeJS.Signals[]
  for (const sig of signals) process.on(sig, onSignal)
  const stopWatching = launchedByNpm()
    ? watchLauncher((pid) => stopSuite(`the process that launched LoadLab (npm, pid ${pid}) exited`, EXIT_TERMINATED))
    : () => undefined
  // The k6 export is a file the user named: its failure gets its own message and exit code (below).
  let exportError = null as { error: unknown } | null
  try {
    const outcome = await runSuite(scenario, {
      engine: engine?.name,
      outDir,
      baselineFile: opts.baseline,
      tolerance: opts.tolerance,
      reporters,
      onReporterError: (f) => {
        if (f.reporter === SUMMARY_EXPORT_REPORTER) exportError = { error: f.error }
        else process.stderr.write(`loadlab: the ${f.reporter} reporter failed (${f.hook}): ${f.error instanceof Error ? f.error.message : String(f.error)}\n`)
      },
      signal: controller.signal,
      agents: opts.agents,
      agentListen: opts.agentListen,
      agentToken: process.env[AGENT_ENV.token],
      engineFactory,
    })
    const files = writtenFiles(reporters)
    const lines = ['', `Results: ${files['results.json'] ?? path.join(outDir, 'results.json')}`]
    if (files['index.html']) lines.push(`Report:  ${files['index.html']}`)
    const exporter = reporters.find((r): r is SummaryExportReporter => r instanceof SummaryExportReporter)
    if (exporter?.written) lines.push(`k6 summary: ${exporter.written}`)
    const exportFailed = exportError !== null
    if (exportError) {
      const { error } = exportError
      const flag = opts.summaryExport ? `--summary-export ${opts.summaryExport}` : `--reporter ${SUMMARY_EXPORT_REPORTER} (${exporter?.file})`
      process.stderr.write(
        `${flag}: cannot write it (${error instanceof Error ? error.message : String(error)}); results.json and the reports above are complete\n`,
      )
    }
    process.stdout.write(`${lines.join('\n')}\n`)
    if (opts.open && files['index.html']) openInBrowser(files['index.html'])
    if (outcome.aborted) return interruptCode
    // A gate verdict (99) says more than a missing export file; otherwise the export's failure is the exit.
    return exportFailed && outcome.suite.verdict.exitCode === 0 ? 1 : outcome.suite.verdict.exitCode
  } finally {
    stopWatching()
    for (const sig of signals) process.off(sig, onSignal)
  }
}

/** Registers `run` on the root program; `setExit` receives the exit code. */
export function registerRunCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('run a scenario (a file or a name from scenarios/) and write results.json and the reports')
    .argument('<scenario>', 'scenario file (scenarios/quickstart.ts) or name (quickstart)')
    .addOption(
      new Option(
        '--engine <name>',
        `load engine: ${ENGINE_NAMES.join(' or ')} (default: autocannon for closed loads, native for arrival rates; ${Object.keys(DEPRECATED_ENGINE_NAMES)
          .map((old) => `"${old}" is the former name of ${DEPRECATED_ENGINE_NAMES[old]}`)
          .join(', ')})`,
      ).argParser(parseEngine),
    )
    .addOption(new Option('--env <name>', "where the topology runs (default: the scenario's `environment`, else local)").choices(ENVIRONMENT_NAMES))
    .option('--out <dir>', 'output folder, new or empty (default: reports/<scenario>-<timestamp>/)')
    .option('--force', 'replace --out when it holds an earlier LoadLab output')
    .option('--quick', 'short runs, small dataset, one repetition (a first look, tests)')
    .option('--baseline <file|dir>', 'results.json of an earlier run, or a folder of them (a history): fail (99) on a regression beyond the tolerance')
    .option('--tolerance <ratio>', 'relative change tolerated against the baseline, e.g. 0.05 = 5%', parseTolerance)
    .option('--open', 'open index.html in the browser at the end (when there is a desktop)')
    .option(
      '--reporter <name|module>',
      `another reporter besides console, results.json, index.html, junit.xml and summary.md (repeatable): one of ${REPORTER_NAMES.join(', ')}, or a .ts/.js module whose default export is a reporter`,
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--agents <n>', `load agents (worker processes) the load is shared by (default: one per spare core, ${defaultAgentCount()} here)`, parseAgents)
    .option('--summary-export <file>', "also write k6's summary-export JSON (k6 metric names and threshold flags) to this file")
    .option(
      '--agent-listen <host:port>',
      'wait for that many remote agents (`loadlab agent --coordinator http://HOST:PORT`) instead of starting local ones',
      parseListen,
    )
    .option('--k8s', 'run the agents as pods of a Kubernetes Indexed Job: applied before each run, deleted after it (needs --agent-listen)')
    .option('--parallelism <n>', 'with --k8s: agent pods; pod i of N sends slice i of the load (default 1)', parseAgents)
    .option('--coordinator <url>', "with --k8s: the URL the pods reach this machine's --agent-listen at (default http://<--agent-listen>)")
    .option('--agent-target <url>', "with --k8s: where the pods reach the scenario's target, when not at the same URL as this machine (a Service name)")
    .option('--kubeconfig <file>', 'with --k8s: kubeconfig file (default $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'with --k8s: kubeconfig context (default its current context)')
    .option('--namespace <ns>', 'with --k8s: namespace of the pods (must exist; default "default")')
    .option('--image <image>', 'with --k8s: image the pods run (default loadlab:<version>; `loadlab k8s export` prints how to build it)')
    .action(async (scenario: string, opts: RunCommandOptions) => {
      setExit(await runCommand(scenario, opts))
    })
}
