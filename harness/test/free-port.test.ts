import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { ephemeralRange, freePort } from '../src/environment/free-port.js'

describe('freePort', () => {
  it('gives a bindable loopback port outside the range the kernel gives outgoing connections', async () => {
    const [low, high] = ephemeralRange()
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()))
    for (const port of ports) expect(port < low || port > high, `port ${port} is in the ephemeral range ${low}-${high}`).toBe(true)
    // Every one can be bound by the program it is meant for.
    const server = net.createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(ports[0], '127.0.0.1', resolve)
    })
    await new Promise((resolve) => server.close(resolve))
  })
})
