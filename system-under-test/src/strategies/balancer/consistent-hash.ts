import { createHash } from 'node:crypto'
import { isEligible, type Balancer, type BackendState, type RequestInfo } from './balancer.js'
import { customerIdFromPath } from './customer-id-from-path.js'
import { RoundRobinBalancer } from './round-robin.js'

export interface ConsistentHashOptions {
  /** Points on the ring per unit of weight; more points = more even spread. */
  virtualNodes?: number
}

interface RingPoint {
  hash: number
  url: string
}

// A hash ring with virtual nodes keyed by customer id: one customer always lands on the same
// backend (its per-replica cache stays warm), and removing one of N backends moves only the
// ~1/N of customers that lived on it. When a customer's backend is ineligible the walk continues
// clockwise, so only that backend's customers move. Requests without a customer id (search,
// health) carry no affinity and are spread round-robin.
export class ConsistentHashBalancer implements Balancer {
  readonly name = 'consistent-hash' as const
  private readonly virtualNodes: number
  private readonly fallback = new RoundRobinBalancer()
  private ring: RingPoint[] = []
  private ringKey = ''

  constructor(options: ConsistentHashOptions = {}) {
    this.virtualNodes = options.virtualNodes ?? 160
  }

  pick(req: RequestInfo, backends: readonly BackendState[]): BackendState | null {
    const customerId = customerIdFromPath(req.path)
    if (customerId === null) return this.fallback.pick(req, backends)
    this.ensureRing(backends)
    if (this.ring.length === 0) return null
    const byUrl = new Map(backends.map((b) => [b.url, b]))
    const start = lowerBound(this.ring, hash32(customerId))
    const seen = new Set<string>()
    for (let step = 0; step < this.ring.length && seen.size < byUrl.size; step++) {
      const point = this.ring[(start + step) % this.ring.length]!
      if (seen.has(point.url)) continue
      seen.add(point.url)
      const backend = byUrl.get(point.url)
      if (backend && isEligible(backend, req)) return backend
    }
    return null
  }

  // The ring covers every configured backend (eligible or not): health changes must not move
  // keys between healthy backends, only away from the unhealthy one.
  private ensureRing(backends: readonly BackendState[]): void {
    const key = backends.map((b) => `${b.url}*${b.weight}`).join(' ')
    if (key === this.ringKey) return
    const ring: RingPoint[] = []
    for (const backend of backends) {
      const points = this.virtualNodes * Math.max(1, backend.weight)
      for (let i = 0; i < points; i++) ring.push({ hash: hash32(`${backend.url}#${i}`), url: backend.url })
    }
    ring.sort((a, b) => a.hash - b.hash || (a.url < b.url ? -1 : 1))
    this.ring = ring
    this.ringKey = key
  }
}

/** First 32 bits of MD5: well spread for similar inputs (time-ordered ids share long prefixes). */
export function hash32(text: string): number {
  return createHash('md5').update(text).digest().readUInt32BE(0)
}

function lowerBound(ring: readonly RingPoint[], hash: number): number {
  let lo = 0
  let hi = ring.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (ring[mid]!.hash < hash) lo = mid + 1
    else hi = mid
  }
  return lo === ring.length ? 0 : lo
}
