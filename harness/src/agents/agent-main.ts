import { resolveAgentOptions } from './agent-options.js'
import { runAgent } from './run-agent.js'

// The process a local load agent runs (started by LocalAgents). Configured only through the
// environment (LOADLAB_COORDINATOR, LOADLAB_AGENT_INDEX, ...), as `loadlab agent` in a pod is;
// it loads just the agent, not the whole CLI, so it is up quickly.

const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

let code: number
try {
  code = await runAgent(resolveAgentOptions({}, process.env, log))
} catch (error) {
  log(error instanceof Error ? error.message : String(error))
  const exitCode = (error as { exitCode?: unknown } | null)?.exitCode
  code = typeof exitCode === 'number' ? exitCode : 1
}
// Exit even if a library left a handle open.
process.exit(code)
