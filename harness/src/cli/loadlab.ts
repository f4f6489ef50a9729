import { Command, CommanderError } from 'commander'
import { showInvisibles } from '../report/visible-text.js'
import { toolVersion } from '../runner/tool-version.js'
import { registerAgentCommand } from './agent-command.js'
import { registerCapacityCommands } from './capacity-commands.js'
import { registerCompareCommand } from './compare-command.js'
import { registerDoctorCommand } from './doctor-command.js'
import { registerImagesCommand } from './images-command.js'
import { registerImportCommand } from './import-command.js'
import { registerK8sCommand } from './k8s-command.js'
import { registerReportCommand } from './report-command.js'
import { registerRunCommand } from './run-command.js'
import { registerSutCommand } from './sut-command.js'

/** Exit codes (as k6): 0 pass, 1 anything else, 2 bad usage or configuration, 99 a threshold or gate failed. */
export const EXIT = { ok: 0, error: 1, usage: 2, gateFailed: 99 } as const

/** The root `loadlab` program with every subcommand registered. `setExit` records a command's exit code. */
export function createProgram(setExit: (code: number) => void): Command {
  const program = new Command('loadlab')
    .description('load testing and capacity planning: your own HTTP service or the reference CRM; strategies compared, gates for CI, capacity plans')
    .version(toolVersion())
    .showSuggestionAfterError()
    .exitOverride()
  registerRunCommand(program, setExit)
  registerSutCommand(program, setExit)
  registerK8sCommand(program, setExit)
  registerDoctorCommand(program, setExit)
  registerImagesCommand(program, setExit)
  registerCompareCommand(program)
  registerCapacityCommands(program)
  registerReportCommand(program)
  registerAgentCommand(program, setExit)
  registerImportCommand(program)
  return program
}

/**
 * Runs the CLI and returns the process exit code. The ONE place where errors become exit codes
 * (see the convention at the top of compare-command.ts: handlers throw, they never exit):
 * commander usage errors -> 2 (help and --version -> 0); an error carrying a numeric `exitCode`
 * (ScenarioError, UsageError, the other commands' typed errors) -> that code with its message;
 * anything else -> 1 with its message (stack with LOADLAB_DEBUG=1). A command that sets
 * process.exitCode instead of throwing is honoured too.
 */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  let code: number | undefined
  const program = createProgram((c) => {
    code = c
  })
  try {
    await program.parseAsync([...argv])
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed its message already
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage
    }
    const exitCode = (error as { exitCode?: unknown } | null)?.exitCode
    const message = error instanceof Error ? error.message : String(error)
    // A CliExit with an empty message (compare-command.ts's convention) has printed its own output.
    if (message !== '') process.stderr.write(`loadlab: ${showInvisibles(message)}\n`)
    if (process.env.LOADLAB_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
    return typeof exitCode === 'number' && Number.isInteger(exitCode) ? exitCode : EXIT.error
  }
  if (code !== undefined) return code
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok
}
