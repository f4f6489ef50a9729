import {
  balancerArgs as contractBalancerArgs,
  type DownstreamArgs,
  downstreamArgs as contractDownstreamArgs,
  replicaArgs as contractReplicaArgs,
  shardArgs as contractShardArgs,
} from '#crm-contract'
import type { Topology } from '../../scenario/scenario.js'

// The command line of each CRM role in a container: the CRM contract's flag builders, as the local
// environment uses them, with every port fixed in advance (host networking: the harness picks free
// loopback ports, so a restarted container comes back on the same one).

const HOST = '127.0.0.1'

/**
 * `dataFile`: where a durable shard (topology.durability everysec / always) keeps its append-only
 * log; `brokerUrl`: sync strategy queue-push, the broker its change feed goes to.
 */
export function shardArgs(t: Topology, index: number, port: number, dataFile: string, brokerUrl: string | null = null): string[] {
  return contractShardArgs({
    host: HOST,
    port,
    shardIndex: index,
    durability: { level: t.durability, dataFile },
    capacity: t.emulation.shard,
    publishTo: brokerUrl,
  })
}

export interface ReplicaWiring {
  name: string
  port: number
  /** In shard order; a shard's URL is its Toxiproxy listener when the link is proxied. */
  shardUrls: string[]
  redisUrl: string | null
  /** Sync strategy sync-call: downstream's URL, called with every change before a write is acknowledged. */
  syncCallUrl?: string | null
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
    syncCall: w.syncCallUrl ? { url: w.syncCallUrl } : null,
    capacity: t.emulation.replica,
  })
}

export function balancerArgs(t: Topology, port: number, adminPort: number, backends: string[]): string[] {
  return contractBalancerArgs({
    host: HOST,
    port,
    adminPort,
    strategy: t.balancer.strategy,
    engine: t.balancer.implementation,
    backendUrls: backends,
    weights: t.balancer.weights,
  })
}

/** The downstream system of a sync strategy: its log in `dataFile`, fed by sync calls, a broker (`consume`) or pulls (`pullFrom`). */
export function downstreamArgs(t: Topology, port: number, dataFile: string, source: Pick<DownstreamArgs, 'consume' | 'pullFrom' | 'intervalMs'>): string[] {
  return contractDownstreamArgs({ host: HOST, port, dataFile, batch: t.sync.batch, ...source })
}
