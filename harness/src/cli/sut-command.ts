import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Option, type Command } from 'commander'
import { createEnvironment } from '../environment/create-environment.js'
import { describeReaped, reapLeftovers } from '../environment/reap-leftovers.js'
import { UsageError } from '../runner/usage-error.js'
import { loadScenario } from '../scenario/load-scenario.js'
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../scenario/scenario.js'
import { planRuns } from '../scenario/plan-runs.js'
import { launchedByNpm, watchLauncher } from './watch-launcher.js'
import { seedDataset } from '../workload/dataset.js'

/**
 * `loadlab sut up <scenario>`: starts the scenario's topology (its first matrix cell) and keeps
 * it until Ctrl-C, for exploring by hand with curl or another tool, seeded with the scenario's
 * dataset unless --no-seed. Logs go to --logs (default a
 * temporary folder, printed). Returns the exit code.
 */
export async function sutUp(scenarioArg: string, opts: { logs?: string; cell?: number; seed?: boolean; env?: EnvironmentName }): Promise<number> {
  const scenario = await loadScenario(scenarioArg, process.cwd(), { environment: opts.env })
  for (const note of scenario.deprecations) process.stderr.write(`note: ${note}\n`)
  if (!scenario.topology) throw new UsageError(`${scenario.name} targets ${scenario.target?.href}, a system LoadLab does not start; nothing to bring up`)
  const plan = planRuns(scenario)
  const cells = [...new Map(plan.runs.map((r) => [r.cellLabel, r])).values()]
  const index = (opts.cell ?? 1) - 1
  const run = cells[index]
  if (!run)
    throw new UsageError(`--cell ${opts.cell}: ${scenario.name} has ${cells.length} cell(s): ${cells.map((c, i) => `${i + 1} = ${c.cellLabel}`).join(', ')}`)
  const logDir = path.resolve(opts.logs ?? mkdtempSync(path.join(tmpdir(), `loadlab-sut-${scenario.name}-`)))
  const reaped = describeReaped(reapLeftovers())
  if (reaped) process.stderr.write(`loadlab: ${reaped}\n`)

  const controller = new AbortController()
  let stopWatching = (): void => undefined
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (): void => {
      controller.abort(new Error('interrupted'))
      resolve()
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    process.once('SIGHUP', onSignal)
    // Under npx with sh in between, a SIGTERM stops npm but never reaches this process (watch-launcher.ts).
    if (launchedByNpm()) stopWatching = watchLauncher(onSignal)
  })
  process.stderr.write(
    `starting ${scenario.name}${cells.length > 1 ? ` (cell ${index + 1} of ${cells.length}: ${run.cellLabel}; pick another with --cell)` : ''}...\n`,
  )
  const env = await createEnvironment(scenario, logDir).start(run.topology, controller.signal)
  try {
    if (opts.seed !== false) {
      const admin = env.adminEndpoint()
      const dataset = await seedDataset(admin.url, run.workload, controller.signal, { adminToken: admin.token })
      process.stderr.write(`seeded ${dataset.customerIds.length} customers (the scenario's dataset; --no-seed to skip)\n`)
    }
    const lines = [`entrypoint: ${env.entrypoint().href}`, 'members:']
    for (const m of env.members())
      lines.push(
        `  ${m.name.padEnd(10)} ${m.url.padEnd(26)} ${m.container ? `container ${m.container}` : `pid ${m.pid ?? '-'}`}${m.metricsUrl ? `  metrics ${m.metricsUrl}` : ''}`,
      )
    lines.push(`logs: ${logDir}`, '', `try: curl -s '${new URL('/customers?q=a&limit=3', env.entrypoint()).href}'`, 'press Ctrl-C to stop every member')
    process.stdout.write(`${lines.join('\n')}\n`)
    // Containers hold no handle in this process (local children do): keep it alive until the signal.
    const keepAlive = setInterval(() => undefined, 60_000)
    await stopped
    clearInterval(keepAlive)
    process.stderr.write('stopping...\n')
  } finally {
    stopWatching()
    await env.stop()
  }
  return 0
}

/** Registers `sut up` on the root program. */
export function registerSutCommand(program: Command, setExit: (code: number) => void): void {
  const sut = program.command('sut').description('the system under test on its own')
  sut
    .command('up')
    .description("start a scenario's topology and keep it running until Ctrl-C")
    .argument('<scenario>', 'scenario file or name')
    .option('--logs <dir>', "folder for the members' logs (default: a temporary folder)")
    .option('--cell <n>', 'which matrix cell to start (1 = first)', (v) => {
      const n = Number(v)
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--cell "${v}" must be a whole number >= 1`)
      return n
    })
    .option('--no-seed', "start empty instead of seeding the scenario's dataset")
    .addOption(new Option('--env <name>', "where the topology runs (default: the scenario's `environment`, else local)").choices(ENVIRONMENT_NAMES))
    .action(async (scenario: string, opts: { logs?: string; cell?: number; seed?: boolean; env?: EnvironmentName }) => {
      setExit(await sutUp(scenario, opts))
    })
}
