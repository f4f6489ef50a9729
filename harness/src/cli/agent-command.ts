import type { Command } from 'commander'
import { AGENT_ENV, resolveAgentOptions, type AgentFlags } from '../agents/agent-options.js'
import { runAgent } from '../agents/run-agent.js'
import { loadScenario } from '../scenario/load-scenario.js'

/**
 * `loadlab agent`: a load agent for a coordinator elsewhere (`loadlab run --agents N
 * --agent-listen HOST:PORT`), e.g. one pod of a Kubernetes Indexed Job. It connects, runs its
 * slice of every phase the coordinator assigns and exits when the coordinator is done (0), or
 * refuses it (2), or cannot be reached or is lost (1).
 */
export function registerAgentCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('agent')
    .description('run slice I of N of a load for a coordinator (loadlab run --agents N --agent-listen HOST:PORT)')
    .option('--coordinator <url>', `the coordinator, http://HOST:PORT (or ${AGENT_ENV.coordinator})`)
    .option('--slice <I/N>', `slice I (0-based) of N agents (or ${AGENT_ENV.index} / ${AGENT_ENV.jobIndex}, and ${AGENT_ENV.count})`)
    .option('--target <url>', `send the load here instead of the coordinator's target: the system under test as this agent reaches it (or ${AGENT_ENV.target})`)
    .option(
      '--scenario <file>',
      "the scenario this agent is part of (a pod mounts it from the export's ConfigMap): checked before connecting, so an image that cannot load it fails at once",
    )
    .option('--name <name>', `how the coordinator names this agent, e.g. its pod (or ${AGENT_ENV.name}; default host:pid)`)
    .addHelpText('after', `\nThe coordinator may require a shared secret: set ${AGENT_ENV.token} to the same value on both sides.`)
    .action(async (flags: AgentFlags & { scenario?: string }) => {
      const log = (line: string): void => {
        process.stderr.write(`${line}\n`)
      }
      // The coordinator sends the workload itself; loading the exported bundle here proves this
      // image's LoadLab reads the scenario the coordinator's LoadLab was given (same scenario
      // API, data files present) before the run waits for this pod.
      if (flags.scenario !== undefined) log(`scenario ${(await loadScenario(flags.scenario)).name} loads in this agent`)
      setExit(await runAgent(resolveAgentOptions(flags, process.env, log)))
    })
}
