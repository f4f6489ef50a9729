// Starts a throwaway redis-server (Debian's package) for a test: a free port on 127.0.0.1, no
// persistence, its own temp dir, stopped by stop() (call it in afterAll/finally). A machine
// without redis-server fails the start with the command that installs it.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTempServer } from './temp-server-process.js'

export interface TempRedis {
  /** redis://127.0.0.1:<port> */
  url: string
  /** Stops the server and removes its directory; safe to call twice. */
  stop(): Promise<void>
}

export async function startTempRedis(): Promise<TempRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'loadlab-redis-'))
  try {
    const server = await startTempServer({
      program: 'redis-server',
      debianPackage: 'redis-server',
      args: (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      cwd: dir,
      probe: { send: 'PING\r\n', expect: '+PONG' },
    })
    let stopped: Promise<void> | undefined
    return { url: `redis://127.0.0.1:${server.port}`, stop: () => (stopped ??= server.stop().finally(() => rm(dir, { recursive: true, force: true }))) }
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}
