import os from 'node:os'
import { UsageError } from '../runner/usage-error.js'

// Where an agent finds its coordinator and its slice: command-line flags first, then the
// environment - the way a Kubernetes Indexed Job hands each pod its index
// (JOB_COMPLETION_INDEX) - so local worker processes and pods are configured the same way.

export interface AgentOptions {
  /** http://host:port of the coordinator (the `loadlab run` that hands out the load). */
  coordinator: URL
  /** This agent's slice, 0-based. */
  index: number
  /** How many agents share the load. */
  count: number
  /** Shared secret the coordinator expects ('' when it expects none). */
  token: string
  /** Where this agent sends the load instead of the coordinator's target (what the agent's network calls the system under test); null = the coordinator's. */
  target: URL | null
  /** How the agent names itself in the coordinator's messages (a pod name). */
  name: string
  /** How long to keep trying to reach the coordinator. */
  connectTimeoutMs: number
  /** Where the agent's own messages go (stderr). */
  log(line: string): void
}

export interface AgentFlags {
  coordinator?: string
  /** "I/N": slice I (0-based) of N. */
  slice?: string
  target?: string
  name?: string
}

/** The environment variables an agent reads (also what the harness sets for local agents). */
export const AGENT_ENV = {
  coordinator: 'LOADLAB_COORDINATOR_URL',
  index: 'LOADLAB_AGENT_INDEX',
  /** Set by Kubernetes in each pod of an Indexed Job. */
  jobIndex: 'JOB_COMPLETION_INDEX',
  count: 'LOADLAB_AGENT_COUNT',
  token: 'LOADLAB_AGENT_TOKEN',
  target: 'LOADLAB_TARGET',
  name: 'LOADLAB_AGENT_NAME',
} as const

const DEFAULT_CONNECT_TIMEOUT_MS = 60_000

function integer(text: string, what: string, min: number, fix: string): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`${what} must be a whole number >= ${min}, got '${text}': ${fix}`)
  return n
}

function httpUrl(text: string, flag: string, example: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`${flag} '${text}' is not a URL: give ${example}`)
  }
  if (url.protocol !== 'http:') throw new UsageError(`${flag} '${text}' must be an http:// URL: give ${example}`)
  return url
}

/** Validates flags and environment once; throws a UsageError (exit 2) naming the input and the fix. */
export function resolveAgentOptions(flags: AgentFlags, env: NodeJS.ProcessEnv, log: (line: string) => void): AgentOptions {
  const where = flags.coordinator ?? env[AGENT_ENV.coordinator]
  if (!where) throw new UsageError(`loadlab agent needs the coordinator's address: --coordinator http://HOST:PORT (or ${AGENT_ENV.coordinator})`)
  const coordinator = httpUrl(where, '--coordinator', 'http://HOST:PORT, the address `loadlab run --agent-listen` listens on')
  let index: number
  let count: number
  if (flags.slice !== undefined) {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(flags.slice)
    if (!m) throw new UsageError(`--slice '${flags.slice}' must be I/N: slice I (0-based) of N agents, e.g. 0/4`)
    index = Number(m[1])
    count = integer(m[2]!, 'the N of --slice I/N', 1, 'give the number of agents')
  } else {
    const indexText = env[AGENT_ENV.index] ?? env[AGENT_ENV.jobIndex]
    const countText = env[AGENT_ENV.count]
    if (indexText === undefined || countText === undefined) {
      throw new UsageError(
        `loadlab agent needs its slice: --slice I/N (I 0-based), or ${AGENT_ENV.index} (or ${AGENT_ENV.jobIndex}, set by a Kubernetes Indexed Job) and ${AGENT_ENV.count}`,
      )
    }
    index = integer(indexText, `the agent index (${env[AGENT_ENV.index] !== undefined ? AGENT_ENV.index : AGENT_ENV.jobIndex})`, 0, 'indexes are 0-based')
    count = integer(countText, `the agent count (${AGENT_ENV.count})`, 1, 'give the number of agents')
  }
  if (index >= count) throw new UsageError(`slice ${index}/${count}: the index must be below the agent count (indexes are 0-based: 0..${count - 1})`)
  const targetText = flags.target ?? env[AGENT_ENV.target]
  const target = targetText ? httpUrl(targetText, '--target', 'the http:// base URL of the system under test as this agent reaches it') : null
  const name = flags.name ?? env[AGENT_ENV.name] ?? `${os.hostname()}:${process.pid}`
  return { coordinator, index, count, token: env[AGENT_ENV.token] ?? '', target, name, connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS, log }
}
