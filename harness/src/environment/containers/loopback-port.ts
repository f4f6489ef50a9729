import { readFileSync } from 'node:fs'
import net from 'node:net'

// A member's port is chosen before its container starts (so a restarted container comes back on
// it), which leaves a window before the member binds it. Ports the kernel hands out for outgoing
// connections (the ephemeral range) would be taken in that window by any busy client on the
// machine, so the choice comes from below that range.

const LOWEST = 10_000

/** The kernel's ephemeral port range (Linux), or the usual default. */
export function ephemeralRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] {
  try {
    const [low = Number.NaN, high = Number.NaN] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high) && low > LOWEST + 1000) return [low, high]
  } catch {
    // not Linux
  }
  return [32_768, 60_999]
}

/** A random port on 127.0.0.1 below the ephemeral range that nothing listens on right now. */
export async function loopbackPort(random: () => number = Math.random): Promise<number> {
  const [low] = ephemeralRange()
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOWEST + Math.floor(random() * (low - LOWEST))
    if (await isFree(port)) return port
  }
  throw new Error(`no free port on 127.0.0.1 between ${LOWEST} and ${low - 1} after 50 tries`)
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
