import net from 'node:net'

/**
 * Asks the OS for a free loopback port. Only for programs that cannot take `--port 0` and report
 * back (redis-server); there is a small window in which another process could take the port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
