import { balancerArgs as contractBalancerArgs, replicaArgs as contractReplicaArgs, shardArgs as contractShardArgs } from '#crm-contract'
import type { Topology } from '../../scenario/scenario.js'

// The command line of each CRM role in a container: the CRM contract's flag builders, as the local
// environment uses them, with every port fixed in advance (host networking: the harness picks free
// loopback ports, so a restarted container comes back on the same one).

const HOST = '127.0.0.1'

/** `dataFile`: where a durable shard (topology.durability everysec / always) keeps its append-only log. */
export function shardArgs(t: Topology, index: number, port: number, dataFile: string): string[] {
  return contractShardArgs({ host: HOST, port, shardIndex: index, durability: { level: t.durability, dataFile }, capacity: t.capacity.shard })
}

export interface ReplicaWiring {
  name: string
  port: number
  /** In shard order; a shard's URL is its Toxiproxy listener when the link is proxied. */
  shardUrls: string[]
  redisUrl: string | null
  /** host:port of the shared memcached (cache strategy memcached). */
  memcachedServer?: string | null
  /** The range partition window, fixed once for the topology (every replica must agree). */
  rangeStart: Date
  rangeEnd: Date
}

export function replicaArgs(t: Topology, w: ReplicaWiring): string[] {
  return contractReplicaArgs({
    host: HOST,
    port: w.port,
    name: w.name,
    shardUrls: w.shardUrls,
    store: t.store,
    partition: t.partition,
    rangeStart: w.rangeStart,
    rangeEnd: w.rangeEnd,
    cache: t.cache,
    redisUrl: w.redisUrl,
    memcachedServer: w.memcachedServer ?? null,
    capacity: t.capacity.replica,
  })
}

export function balancerArgs(t: Topology, port: number, adminPort: number, backends: string[]): string[] {
  return contractBalancerArgs({ host: HOST, port, adminPort, strategy: t.balancer.strategy, engine: t.balancer.engine, backendUrls: backends, weights: t.balancer.weights })
}
