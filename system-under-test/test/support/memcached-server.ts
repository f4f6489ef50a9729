// Starts a throwaway memcached (Debian's package) for a test: a free port on 127.0.0.1, UDP off,
// stopped by stop() (call it in afterAll/finally). memcached prints no ready line, so readiness is
// its answer to `version`. A machine without memcached fails the start with the command that
// installs it.

import { startTempServer } from './temp-server-process.js'

export interface TempMemcached {
  /** 127.0.0.1:<port>, as --memcached takes it. */
  server: string
  /** The server's pid (tests pause it with SIGSTOP). */
  pid: number
  /** Stops the server; safe to call twice. */
  stop(): Promise<void>
}

export async function startTempMemcached(): Promise<TempMemcached> {
  // memcached refuses to run as root unless told which user to become.
  const asRoot = process.getuid?.() === 0 ? ['-u', 'nobody'] : []
  const server = await startTempServer({
    program: 'memcached',
    debianPackage: 'memcached',
    args: (port) => [...asRoot, '-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64'],
    probe: { send: 'version\r\n', expect: 'VERSION' },
  })
  return { server: `127.0.0.1:${server.port}`, pid: server.child.pid as number, stop: server.stop }
}
