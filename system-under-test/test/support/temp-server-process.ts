// Starts a throwaway server from Debian's packages (redis-server, memcached) for a test: a free
// port on 127.0.0.1, ready once it answers a probe command, stopped by stop() (call it in
// afterAll/finally). When the program is not installed the start fails with the command that
// installs it: its tests must fail on a machine without it, not skip and look green.

import { spawn, type ChildProcess } from 'node:child_process'
import { createConnection, createServer } from 'node:net'

export interface TempServerSpec {
  /** The program, as found on PATH: 'redis-server'. */
  program: string
  /** Debian's package that installs it. */
  debianPackage: string
  args(port: number): string[]
  cwd?: string
  /** Sent on a fresh connection; the server is ready once its reply contains `expect`. */
  probe: { send: string; expect: string }
}

export interface TempServerProcess {
  port: number
  child: ChildProcess
  /** Stops the server; safe to call twice. */
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 10_000

export async function startTempServer(spec: TempServerSpec): Promise<TempServerProcess> {
  let lastError: Error | undefined
  // A free port found here may be taken by someone else before the server binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const child = spawn(spec.program, spec.args(port), { cwd: spec.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)))
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)))
    try {
      await waitForProbe(spec, child, port, () => output)
      let stopped: Promise<void> | undefined
      return { port, child, stop: () => (stopped ??= stopChild(child)) }
    } catch (err) {
      await stopChild(child)
      lastError = err as Error
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break
    }
  }
  throw lastError ?? new Error(`${spec.program} did not start`)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function waitForProbe(spec: TempServerSpec, child: ChildProcess, port: number, output: () => string): Promise<void> {
  const command = spec.probe.send.trim()
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (err?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      if (err) reject(err)
      else resolve()
    }
    const deadline = setTimeout(
      () => finish(new Error(`${spec.program} did not answer ${command} on port ${port} within ${START_TIMEOUT_MS} ms:\n${output()}`)),
      START_TIMEOUT_MS,
    )
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        const missing = new Error(
          `${spec.program} is not installed, and the tests that use it need a real one: run \`apt-get install ${spec.debianPackage}\` (.ci/install-deps does this)`,
        ) as NodeJS.ErrnoException
        missing.code = 'ENOENT'
        finish(missing)
      } else finish(err)
    })
    child.once('exit', (code, signal) => finish(new Error(`${spec.program} exited early (${signal ?? code}):\n${output()}`)))
    const probe = (): void => {
      if (settled) return
      const socket = createConnection({ host: '127.0.0.1', port })
      let reply = ''
      socket.setTimeout(500)
      socket.on('connect', () => socket.write(spec.probe.send))
      socket.on('data', (d) => {
        reply += d.toString()
        if (reply.includes(spec.probe.expect)) {
          socket.destroy()
          finish()
        }
      })
      let retried = false
      const retry = (): void => {
        if (retried) return // 'timeout' and 'error' can both fire for one attempt
        retried = true
        socket.destroy()
        setTimeout(probe, 50)
      }
      socket.on('error', retry)
      socket.on('timeout', retry)
    }
    probe()
  })
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGCONT') // a paused server ignores SIGTERM until continued
    child.kill('SIGTERM')
  })
}
