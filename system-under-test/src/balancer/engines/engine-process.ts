import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'

export interface SupervisedProcess {
  readonly child: ChildProcess
  /** Resolves when the process exits, for any reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends `signal`, waits up to `graceMs`, then SIGKILL. Resolves once the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>
}

/**
 * Starts a real balancer binary (haproxy, nginx) in the foreground as our child and resolves once
 * it accepts TCP connections on `port`. Its stderr is kept: if it exits before it is ready, the
 * error names the binary and includes what it said (usually the config line it rejected).
 */
export async function startSupervisedProcess(
  binary: string,
  args: readonly string[],
  ready: { host: string; port: number; timeoutMs?: number },
): Promise<SupervisedProcess> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', (chunk: Buffer) => {
    keep(chunk)
    process.stderr.write(`[${binary}] ${chunk.toString('utf8')}`)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT' ? new Error(`${binary} is not installed: install it with "apt-get install haproxy nginx-light" (or use --engine builtin)`) : err,
      )
    })
  })
  spawnError.catch(() => {})

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  const deadline = Date.now() + (ready.timeoutMs ?? 10_000)
  try {
    for (;;) {
      const outcome = await Promise.race([
        spawnError,
        exited.then(({ code, signal }) => {
          throw new Error(`${binary} exited (${signal ?? `code ${code}`}) before it was ready:\n${output.trim()}`)
        }),
        canConnect(ready.host, ready.port),
      ])
      if (outcome) break
      if (Date.now() > deadline)
        throw new Error(`${binary} did not accept connections on ${ready.host}:${ready.port} within ${ready.timeoutMs ?? 10_000} ms:\n${output.trim()}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  } catch (err) {
    await stop('SIGKILL')
    throw err
  }
  return { child, exited, stop }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
