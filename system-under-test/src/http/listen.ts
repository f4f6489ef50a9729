import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

// Listening and graceful closing for every HTTP server of the system under test (shard server,
// replica, balancer and its admin port), so they all shut down the same way.

/** Listens and resolves with the real port (port 0 asks the OS for a free one). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/**
 * Stops accepting, closes idle keep-alive sockets (they would hold close() open), and waits for
 * in-flight responses up to `graceMs`, after which their connections are cut.
 */
export async function closeServer(server: Server, graceMs = 5000): Promise<void> {
  if (!server.listening) return
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeIdleConnections()
  const timer = setTimeout(() => server.closeAllConnections(), graceMs)
  timer.unref()
  await closed
  clearTimeout(timer)
}
