import { readFileSync } from 'node:fs'
import net from 'node:net'

/**
 * A free loopback port for programs that cannot take `--port 0` and report back (redis-server,
 * RabbitMQ, Kafka, PostgreSQL). The port is free when chosen and is bound by the program a moment
 * (or, for a cold JVM or Erlang VM, some seconds) later; it must not be taken in between.
 *
 * The kernel hands out the ports of the ephemeral range to every outgoing connection, and a load
 * test opens many: a port from `listen(0)` (which is in that range) is soon some client socket's
 * source port, and the program's bind fails with EADDRINUSE. So the port is drawn at random from
 * below the ephemeral range, where the kernel never assigns one by itself; only a program that
 * asks for that exact port can take it. Falls back to `listen(0)` when nothing there is free.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange()
  const low = 10_000
  for (let attempt = 0; attempt < 50 && ephemeralLow - low > 1_000; attempt++) {
    const candidate = low + Math.floor(Math.random() * (ephemeralLow - low))
    if (await canListen(candidate)) return candidate
  }
  return listenOnAnyPort()
}

/** The kernel's ephemeral port range (Linux); the IANA range elsewhere. */
export function ephemeralRange(): [number, number] {
  try {
    const [low = Number.NaN, high = Number.NaN] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high)) return [low, high]
  } catch {
    // not Linux
  }
  return [49_152, 65_535]
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

function listenOnAnyPort(): Promise<number> {
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
