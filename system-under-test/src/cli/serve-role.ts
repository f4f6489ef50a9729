import { CommanderError, type Command, type OptionValues } from 'commander'
import { ConfigurationError } from '../config/configuration-error.js'

// The life of every role process (shard, replica, balancer), as the process contract in
// src/contract/CONTRACT.md states it: parse the flags (help exits 0, bad flags exit 2), start, print the
// ready lines on stdout (`LISTENING <url>` first), close gracefully on SIGTERM/SIGINT and exit 0.
// Exit codes: 2 for what the user fixes in the flags (commander's errors, ConfigurationError),
// 1 for anything else. Written once so the three roles cannot drift apart.
//
// A supervisor that starts roles as its children (LoadLab's harness) sets CRM_EXIT_WITH_STDIN=1
// and keeps the write end of our stdin open without writing. The kernel closes that end when the
// supervisor dies, however it dies (SIGKILL included), so end-of-file on stdin means "nobody
// needs this process any more": the role then closes as on SIGTERM, which also stops the
// HAProxy/nginx a balancer runs. Opt-in, because a role started by hand or by a service manager
// often has /dev/null or a closed terminal as stdin.

const EXIT_OK = 0
const EXIT_FAILURE = 1
const EXIT_USAGE = 2
/** Environment variable a supervisor sets to tie the role's life to its stdin (see above). */
export const EXIT_WITH_STDIN_ENV = 'CRM_EXIT_WITH_STDIN'
/** How long a role orphaned by its supervisor may take to close before it exits regardless. */
const ORPHAN_CLOSE_DEADLINE_MS = 10_000

/**
 * Parses a role's flags with its command (built with `.exitOverride()`), then maps them to options
 * with `toOptions` when given. Help and version exit 0 and bad flags exit 2 (commander has printed
 * why); a ConfigurationError from `toOptions` is printed as `error: <message>` and exits 2.
 */
export function parseRoleFlags<F extends OptionValues>(command: Command, argv: readonly string[]): F
export function parseRoleFlags<F extends OptionValues, T>(command: Command, argv: readonly string[], toOptions: (flags: F) => T): T
export function parseRoleFlags<F extends OptionValues, T>(command: Command, argv: readonly string[], toOptions?: (flags: F) => T): F | T {
  try {
    command.parse([...argv], { from: 'user' })
    const flags = command.opts<F>()
    return toOptions ? toOptions(flags) : flags
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? EXIT_OK : EXIT_USAGE)
    if (error instanceof ConfigurationError) {
      process.stderr.write(`error: ${error.message}\n`)
      process.exit(EXIT_USAGE)
    }
    throw error
  }
}

/** What serveRole needs of a started server. */
export interface RoleServer {
  /** Called once, on SIGTERM/SIGINT or after the server died: stops serving and releases everything. */
  close(): Promise<void>
}

/** How one role starts and what it says; serveRole does the rest. */
export interface RoleLifecycle<S extends RoleServer> {
  /** Names the role in the default start-failure message, e.g. `replica`. */
  role: string
  /** Called once to start serving. Rejects with a ConfigurationError (exit 2) for a refused flag value; any other rejection exits 1. */
  start(): Promise<S>
  /** Called when start() rejected: the stderr line. Default `<role> failed to start: <message>`. */
  describeStartFailure?(error: unknown): string
  /** Called once serving: the stdout lines, `LISTENING <url>` first (the line other processes wait for). */
  readyLines(server: S): readonly string[]
  /** Called when SIGTERM/SIGINT begins the graceful close: the stderr line. */
  describeClosing(signal: NodeJS.Signals, server: S): string
  /** Called when close() rejected (the process then exits 1): the stderr line. Default `error while closing: <error>`. */
  describeCloseFailure?(error: unknown): string
  /**
   * Called once serving, for servers that can stop on their own (a supervised HAProxy/nginx):
   * resolves with the stderr line if that happens; the server is then closed and the process exits 1.
   */
  died?(server: S): Promise<string>
}

/** Starts a role and keeps it serving until a signal (exit 0) or its death (exit 1); see the file comment. */
export async function serveRole<S extends RoleServer>(lifecycle: RoleLifecycle<S>): Promise<void> {
  // Watched from the start: a supervisor may die while this role is still starting.
  let orphaned = false
  let onOrphaned = (): void => {
    orphaned = true
  }
  if (process.env[EXIT_WITH_STDIN_ENV] === '1') {
    whenStdinCloses(() => {
      // A close that hangs must not keep an orphan alive.
      setTimeout(() => process.exit(EXIT_FAILURE), ORPHAN_CLOSE_DEADLINE_MS).unref()
      onOrphaned()
    })
  }
  let server: S
  try {
    server = await lifecycle.start()
  } catch (error) {
    const said = lifecycle.describeStartFailure?.(error) ?? `${lifecycle.role} failed to start: ${messageOf(error)}`
    process.stderr.write(`${said}\n`)
    process.exit(error instanceof ConfigurationError ? EXIT_USAGE : EXIT_FAILURE)
  }

  let stopping = false
  const closeAndExit = (code: number): void => {
    server.close().then(
      () => process.exit(code),
      (error: unknown) => {
        process.stderr.write(`${lifecycle.describeCloseFailure?.(error) ?? `error while closing: ${String(error)}`}\n`)
        process.exit(EXIT_FAILURE)
      },
    )
  }
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    process.stderr.write(`${lifecycle.describeClosing(signal, server)}\n`)
    closeAndExit(EXIT_OK)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  onOrphaned = () => {
    if (stopping) return
    stopping = true
    process.stderr.write(`${lifecycle.role}: the process that started it is gone (stdin closed); closing\n`)
    closeAndExit(EXIT_OK)
  }
  if (orphaned) {
    onOrphaned()
    return
  }
  process.stdout.write(
    lifecycle
      .readyLines(server)
      .map((line) => `${line}\n`)
      .join(''),
  )
  void lifecycle.died?.(server).then((said) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`${said}\n`)
    closeAndExit(EXIT_FAILURE)
  })
}

/**
 * Starts a server on the `--port` the user gave; a taken port becomes a ConfigurationError (exit 2)
 * whose message names --port and the fix.
 */
export async function startOnPort<T>(port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'EADDRINUSE') throw error
    throw new ConfigurationError(`${messageOf(error)} (port ${port} is taken: pick another --port, or 0 for any free port)`, { cause: error })
  }
}

/** Calls `gone` once when stdin reaches end-of-file or fails (its writer is gone). */
function whenStdinCloses(gone: () => void): void {
  let called = false
  const once = (): void => {
    if (called) return
    called = true
    gone()
  }
  const stdin = process.stdin
  stdin.on('data', () => undefined)
  stdin.once('end', once)
  stdin.once('close', once)
  stdin.once('error', once)
  stdin.resume()
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
