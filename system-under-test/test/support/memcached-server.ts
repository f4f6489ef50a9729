// Starts a throwaway memcached (Debian's package) for a test: a free port on 127.0.0.1, UDP off,
// stopped by stop() (call it in afterAll/finally). memcached prints no ready line, so readiness is
// its answer to `version`. When memcached is not installed the start fails with the command that
// installs it: the memcached tests must fail on a machine without it, not skip and look green.

import { spawn, type ChildProcess } from 'node:child_process'
import { createConnection, createServer } from 'node:net'

export interface TempMemcached {
  /** 127.0.0.1:<port>, as --memcached takes it. */
  server: string
  /** The server's pid (tests pause it with SIGSTOP). */
  pid: number
  /** Stops the server; safe to call twice. */
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 10_000

export async function startTempMemcached(): Promise<TempMemcached> {
  let lastError: Error | undefined
  // A free port found here may be taken by someone else before memcached binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    // memcached refuses to run as root unless told which user to become.
    const asRoot = process.getuid?.() === 0 ? ['-u', 'nobody'] : []
    const child = spawn('memcached', [...asRoot, '-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)))
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)))
    try {
      await waitForVersion(child, port, () => output)
      let stopped: Promise<void> | undefined
      return { server: `127.0.0.1:${port}`, pid: child.pid as number, stop: () => (stopped ??= stopChild(child)) }
    } catch (err) {
      await stopChild(child)
      lastError = err as Error
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break
    }
  }
  throw lastError ?? new Error('memcached did not start')
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

function waitForVersion(child: ChildProcess, port: number, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (err?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      if (err) reject(err)
      else resolve()
    }
    const deadline = setTimeout(() => finish(new Error(`memcached did not answer "version" on port ${port} within ${START_TIMEOUT_MS} ms:\n${output()}`)), START_TIMEOUT_MS)
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        const missing = new Error('memcached is not installed, and the memcached cache tests need a real one: run `apt-get install memcached` (.ci/install-deps does this)') as NodeJS.ErrnoException
        missing.code = 'ENOENT'
        finish(missing)
      } else finish(err)
    })
    child.once('exit', (code, signal) => finish(new Error(`memcached exited early (${signal ?? code}):\n${output()}`)))
    const probe = (): void => {
      if (settled) return
      const socket = createConnection({ host: '127.0.0.1', port })
      let reply = ''
      socket.setTimeout(500)
      socket.on('connect', () => socket.write('version\r\n'))
      socket.on('data', (d) => {
        reply += d.toString()
        if (reply.includes('VERSION')) {
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
