import { UsageError } from '../runner/usage-error.js'

// Where an agent finds its coordinator and its slice: command-line flags first, then the
// environment - the way a Kubernetes Indexed Job hands each pod its index
// (JOB_COMPLETION_INDEX) - so local worker processes and pods are configured the same way.

export interface AgentOptions {
  /** tcp://host:port of the coordinator (the harness running `loadlab run`). */
  coordinator: URL
  /** This agent's slice, 0-based. */
  index: number
  /** How many agents share the load. */
  count: number
  /** Shared secret the coordinator expects ('' when it expects none). */
  token: string
  /** How long to keep trying to reach the coordinator. */
  connectTimeoutMs: number
  /** Where the agent's own messages go (stderr). */
  log(line: string): void
}

export interface AgentFlags {
  coordinator?: string
  index?: string
  count?: string
}

/** The environment variables an agent reads (also what the harness sets for local agents). */
export const AGENT_ENV = {
  coordinator: 'LOADLAB_COORDINATOR',
  index: 'LOADLAB_AGENT_INDEX',
  /** Set by Kubernetes for each pod of an Indexed Job. */
  jobIndex: 'JOB_COMPLETION_INDEX',
  count: 'LOADLAB_AGENT_COUNT',
  token: 'LOADLAB_AGENT_TOKEN',
} as const

const DEFAULT_CONNECT_TIMEOUT_MS = 60_000

function integer(text: string, what: string, min: number): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`${what} must be an integer >= ${min}, got '${text}'`)
  return n
}

/** Validates flags and environment once; throws a UsageError (exit 2) naming the input and the fix. */
export function resolveAgentOptions(flags: AgentFlags, env: NodeJS.ProcessEnv, log: (line: string) => void): AgentOptions {
  const where = flags.coordinator ?? env[AGENT_ENV.coordinator]
  if (!where) throw new UsageError(`loadlab agent needs the coordinator's address: --coordinator tcp://HOST:PORT (or ${AGENT_ENV.coordinator})`)
  let coordinator: URL
  try {
    coordinator = new URL(where)
  } catch {
    throw new UsageError(`--coordinator '${where}' is not a URL: give tcp://HOST:PORT`)
  }
  if (coordinator.protocol !== 'tcp:' || !coordinator.port) throw new UsageError(`--coordinator '${where}' must be tcp://HOST:PORT (the address \`loadlab run\` listens on for agents)`)
  const indexText = flags.index ?? env[AGENT_ENV.index] ?? env[AGENT_ENV.jobIndex]
  if (indexText === undefined) throw new UsageError(`loadlab agent needs its slice index: --index I (0-based), or ${AGENT_ENV.index}, or ${AGENT_ENV.jobIndex} (set by a Kubernetes Indexed Job)`)
  const countText = flags.count ?? env[AGENT_ENV.count]
  if (countText === undefined) throw new UsageError(`loadlab agent needs the number of agents: --count N (or ${AGENT_ENV.count})`)
  const index = integer(indexText, 'the agent index (--index)', 0)
  const count = integer(countText, 'the agent count (--count)', 1)
  if (index >= count) throw new UsageError(`the agent index ${index} must be below the agent count ${count} (indexes are 0-based)`)
  return { coordinator, index, count, token: env[AGENT_ENV.token] ?? '', connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS, log }
}
