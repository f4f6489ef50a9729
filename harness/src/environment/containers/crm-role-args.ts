import type { CapacitySpec, Topology } from '../../scenario/scenario.js'

// The command line of each CRM role in a container: the same flags the local environment gives
// its processes, with every port fixed in advance (host networking: the harness picks free
// loopback ports, so a restarted container comes back on the same one).

/** `dataFile`: where a durable shard (topology.durability everysec / always) keeps its append-only log. */
export function shardArgs(t: Topology, index: number, port: number, dataFile: string): string[] {
  const durability = t.durability === 'none' ? [] : ['--durability', t.durability, '--data-file', dataFile]
  return ['shard', '--host', '127.0.0.1', '--port', String(port), '--shard-index', String(index), ...durability, ...capacityFlags(t.capacity.shard)]
}

export interface ReplicaWiring {
  name: string
  port: number
  /** In shard order; a shard's URL is its Toxiproxy listener when the link is proxied. */
  shardUrls: string[]
  redisUrl: string | null
  /** The range partition window, fixed once for the topology (every replica must agree). */
  rangeStart: Date
  rangeEnd: Date
}

export function replicaArgs(t: Topology, w: ReplicaWiring): string[] {
  return [
    'replica', '--host', '127.0.0.1', '--port', String(w.port), '--name', w.name,
    '--shards', w.shardUrls.join(','), '--store', t.store, '--partition', t.partition,
    '--range-start', w.rangeStart.toISOString(), '--range-end', w.rangeEnd.toISOString(),
    '--cache', t.cache.strategy, '--cache-size', String(t.cache.size), '--cache-ttl-ms', String(t.cache.ttlMs),
    '--write-policy', t.cache.writePolicy, ...(w.redisUrl ? ['--redis', w.redisUrl] : []),
    ...capacityFlags(t.capacity.replica),
  ]
}

export function balancerArgs(t: Topology, port: number, adminPort: number, backends: string[]): string[] {
  return [
    'balancer', '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(adminPort),
    '--strategy', t.balancer.strategy, '--engine', t.balancer.engine, '--backends', backends.join(','),
    ...(t.balancer.weights ? ['--weights', t.balancer.weights.join(',')] : []),
  ]
}

function capacityFlags(c: Required<CapacitySpec> | undefined): string[] {
  if (!c) return []
  return ['--service-time', c.serviceTime, '--slots', String(c.slots), '--queue-limit', String(c.queueLimit)]
}
