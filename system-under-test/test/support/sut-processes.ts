import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// Process-level tests start the BUILT system under test (`npm run build` first), exactly as users
// and the harness do: `node system-under-test/dist/main.js <role> [flags]`. Every process started
// here is registered so `stopAll()` in afterAll/afterEach can stop it even when a test failed.

export type SutRole = 'shard' | 'replica' | 'balancer'

/** Absolute path of the built entry point. */
export const SUT_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url))

export interface SpawnedRole {
  /** The role, or the label given to spawnListening. */
  role: string
  /** From the `LISTENING <url>` line. */
  url: string
  /** From the balancer's `ADMIN <url>` line; undefined for other roles. */
  adminUrl: string | undefined
  process: ChildProcess
  /** Everything the process wrote so far (for assertions and failure messages). */
  output(): { stdout: string; stderr: string }
  /** SIGTERM, then SIGKILL after the grace period; resolves with the exit code (null if killed by a signal). */
  stop(graceMs?: number): Promise<number | null>
}

export interface SpawnOptions {
  /** How long to wait for the LISTENING (and, for the balancer, ADMIN) line. Default 20 s. */
  startTimeoutMs?: number
  /** Default: this process's environment with LOADLAB_ADMIN_TOKEN = TEST_ADMIN_TOKEN. */
  env?: NodeJS.ProcessEnv
}

/** The admin token every role started here gets (as the harness hands one to each topology). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef'

/** Headers an admin call of a test sends: the token, and JSON for bodies. */
export const TEST_ADMIN_HEADERS: Readonly<Record<string, string>> = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }

const running = new Set<SpawnedRole>()

const OUTPUT_TAIL_CHARS = 256 * 1024

function keepTail(text: string): string {
  return text.length > OUTPUT_TAIL_CHARS ? text.slice(-OUTPUT_TAIL_CHARS) : text
}

function assertBuilt(): void {
  if (!existsSync(SUT_MAIN)) throw new Error(`${SUT_MAIN} does not exist: run \`npm run build\` before the process-level tests`)
}

/** Starts `main.js <role> ...args` and resolves once it printed its LISTENING line (and ADMIN for the balancer). */
export function spawnRole(role: SutRole, args: readonly string[], options: SpawnOptions = {}): Promise<SpawnedRole> {
  assertBuilt()
  return spawnListening(role, [SUT_MAIN, role, ...args], { ...options, needAdmin: role === 'balancer' })
}

/**
 * Starts `node ...nodeArgs` (any server that prints `LISTENING <url>`, e.g. the benchmark's
 * hello-world) and resolves once it is listening. Registered for stopAll like spawnRole.
 */
export function spawnListening(label: string, nodeArgs: readonly string[], options: SpawnOptions & { needAdmin?: boolean } = {}): Promise<SpawnedRole> {
  const role = label
  const args = nodeArgs
  const child = spawn(process.execPath, [...nodeArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? { ...process.env, LOADLAB_ADMIN_TOKEN: TEST_ADMIN_TOKEN },
  })
  let stdout = ''
  let stderr = ''
  // Long benchmark runs must not grow memory: keep the tail of each stream only.
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = keepTail(stdout + chunk)))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = keepTail(stderr + chunk)))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

  const spawned: SpawnedRole = {
    role,
    url: '',
    adminUrl: undefined,
    process: child,
    output: () => ({ stdout, stderr }),
    stop: async (graceMs = 5_000) => {
      running.delete(spawned)
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
  running.add(spawned)

  const needAdmin = options.needAdmin ?? false
  // A backstop for a role that never starts, not a speed limit: a loaded machine starts node slowly.
  const timeoutMs = options.startTimeoutMs ?? 60_000
  return new Promise<SpawnedRole>((resolve, reject) => {
    const fail = (why: string): void => {
      cleanup()
      void spawned.stop(500)
      reject(new Error(`${role} ${args.join(' ')}: ${why}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`))
    }
    const onData = (): void => {
      const listening = /^LISTENING (\S+)$/m.exec(stdout)
      const admin = /^ADMIN (\S+)$/m.exec(stdout)
      if (listening && (!needAdmin || admin)) {
        cleanup()
        spawned.url = listening[1]!
        spawned.adminUrl = admin?.[1]
        resolve(spawned)
      }
    }
    const onExit = (code: number | null): void => fail(`exited with code ${code} before it was listening`)
    const timer = setTimeout(() => fail(`no LISTENING line within ${timeoutMs} ms`), timeoutMs)
    const cleanup = (): void => {
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.off('exit', onExit)
    }
    child.stdout.on('data', onData)
    child.once('exit', onExit)
  })
}

/** Stops every process spawnRole started and that is still registered. Call from afterAll/afterEach. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()))
}

export interface FinishedRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `main.js ...args` to completion (for --help and bad-flag checks); killed after `timeoutMs`. */
export function runToExit(args: readonly string[], timeoutMs = 60_000): Promise<FinishedRun> {
  assertBuilt()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SUT_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
