import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

// The TCP sockets a process listens on, from /proc (Linux): its socket inodes, looked up in the
// kernel's tables of IPv4 and IPv6 sockets. What `ss -ltnp` shows, without needing root to see
// another user's processes or ss itself.

/** "address:port" of each socket `pid` listens on; IPv4-mapped IPv6 addresses are shown as IPv4. */
export function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (match) inodes.add(match[1]!)
    } catch {
      // closed meanwhile
    }
  }
  const found: string[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      // fields: sl local_address rem_address st ... inode (10th)
      if (fields.length < 10 || fields[3] !== '0A' || !inodes.has(fields[9]!)) continue
      const [hexAddress, hexPort] = fields[1]!.split(':')
      found.push(`${decodeAddress(hexAddress!)}:${parseInt(hexPort!, 16)}`)
    }
  }
  return found
}

function decodeAddress(hex: string): string {
  // The kernel prints each 32-bit word in host (little-endian) byte order.
  const words = hex.match(/.{8}/g) ?? []
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)))
  if (bytes.length === 4) return bytes.join('.')
  const v4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff
  if (v4Mapped) return bytes.slice(12).join('.')
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16))
  return groups.join(':')
}
