// Starts a throwaway redis-server (Debian's package) for a test: a free port on 127.0.0.1, no
// persistence, its own temp dir, stopped by stop() (call it in afterAll/finally). When
// redis-server is not installed the start fails with the command that installs it: the redis
// tests must fail on a machine without it, not skip and look green.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TempRedis {
  /** redis://127.0.0.1:<port> */
  url: string
  /** Stops the server and removes its directory; safe to call twice. */
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 10_000

export async function startTempRedis(): Promise<TempRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'loadlab-redis-'))
  let lastError: Error | undefined
  // A free port found here may be taken by someone else before redis binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)))
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)))
    try {
      await waitForPing(child, port, () => output)
      const url = `redis://127.0.0.1:${port}`
      let stopped: Promise<void> | undefined
      return {
        url,
        stop: () => (stopped ??= stopChild(child).finally(() => rm(dir, { recursive: true, force: true }))),
      }
    } catch (err) {
      await stopChild(child)
      lastError = err as Error
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break
    }
  }
  await rm(dir, { recursive: true, force: true })
  throw lastError ?? new Error('redis-server did not start')
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

function waitForPing(child: ChildProcess, port: number, output: () => string): Promise<void> {
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
      () => finish(new Error(`redis-server did not answer PING on port ${port} within ${START_TIMEOUT_MS} ms:\n${output()}`)),
      START_TIMEOUT_MS,
    )
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        const missing = new Error(
          'redis-server is not installed, and the redis cache tests need a real one: run `apt-get install redis-server` (CI does this in .ci/run)',
        ) as NodeJS.ErrnoException
        missing.code = 'ENOENT'
        finish(missing)
      } else finish(err)
    })
    child.once('exit', (code, signal) => finish(new Error(`redis-server exited early (${signal ?? code}):\n${output()}`)))
    const ping = (): void => {
      if (settled) return
      const socket = createConnection({ host: '127.0.0.1', port })
      let reply = ''
      socket.setTimeout(500)
      socket.on('connect', () => socket.write('PING\r\n'))
      socket.on('data', (d) => {
        reply += d.toString()
        if (reply.includes('+PONG')) {
          socket.destroy()
          finish()
        }
      })
      let retried = false
      const retry = (): void => {
        if (retried) return // 'timeout' and 'error' can both fire for one attempt
        retried = true
        socket.destroy()
        setTimeout(ping, 50)
      }
      socket.on('error', retry)
      socket.on('timeout', retry)
    }
    ping()
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
    child.kill('SIGTERM')
  })
}
