import { createConnection } from 'node:net'

const PROBE_TIMEOUT_MS = 1_000

/**
 * Resolves when a memcached on 127.0.0.1:`port` answers `version`: memcached prints no ready line
 * (only with -vv, which also logs every command), so readiness is its answer.
 */
export function probeMemcached(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let reply = ''
    const fail = (error: Error): void => {
      socket.destroy()
      reject(error)
    }
    socket.setTimeout(PROBE_TIMEOUT_MS, () => fail(new Error(`no answer to "version" within ${PROBE_TIMEOUT_MS} ms`)))
    socket.once('error', fail)
    socket.once('connect', () => socket.write('version\r\n'))
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1')
      if (!reply.includes('\r\n')) return
      socket.destroy()
      if (reply.startsWith('VERSION ')) resolve()
      else reject(new Error(`answered "version" with ${JSON.stringify(reply.slice(0, 80))}`))
    })
  })
}
