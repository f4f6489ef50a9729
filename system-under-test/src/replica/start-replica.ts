import { createServer } from 'node:http'
import { newAdminToken } from '../admin/admin-token.js'
import { createApp } from '../api/create-app.js'
import { createReplicaMetrics } from '../api/replica-metrics.js'
import { createCapacityModel } from '../capacity/create-capacity-model.js'
import { CrmService } from '../domain/crm-service.js'
import { newCustomerId } from '../domain/customer-id.js'
import { closeServer, listen } from '../http/listen.js'
import { ShardClient } from '../storage/shard-client.js'
import type { ShardStore } from '../storage/shard-store.js'
import { CacheAside } from '../strategies/cache/cache-aside.js'
import { createCache } from '../strategies/cache/cache-registry.js'
import { createPartitionStrategy, keysMovedIfShardAdded } from '../strategies/partition/partition-registry.js'
import type { PartitionOptions, PartitionStrategy } from '../strategies/partition/partition-strategy.js'
import { RangePartition } from '../strategies/partition/range-partition.js'
import { DownstreamClient } from '../sync/downstream-client.js'
import { withTimeout } from '../util/with-timeout.js'
import type { ReplicaOptions } from './replica-options.js'

// Wires one replica: shard stores, partition strategy, cache, capacity model, metrics and the
// HTTP app, then listens. In-process so tests can start one cheaply; the CLI is a thin shell
// around it.

export interface StartedReplica {
  /** http://host:port the replica answers on. */
  url: string
  /** The X-Replica name it answers with. */
  name: string
  /** The token its /admin routes require (Authorization: Bearer). */
  adminToken: string
  /** Stops accepting, finishes in-flight requests (up to a grace period), closes stores and cache. */
  close(): Promise<void>
}

/** Synthetic keys for the keys-moved gauge: enough for a stable ratio, cheap to compute at start. */
const KEYS_MOVED_SAMPLE = 10_000
const READY_TIMEOUT_MS = 1_000
/** In-flight requests get this long to finish on close. */
const CLOSE_GRACE_MS = 3_000

export async function startReplica(options: ReplicaOptions): Promise<StartedReplica> {
  const partitionOptions: PartitionOptions = {
    shardCount: options.shards.length,
    virtualNodes: options.virtualNodes,
    rangeStartMs: options.rangeStartMs,
    rangeEndMs: options.rangeEndMs,
  }
  const partition = createPartitionStrategy(options.partition, partitionOptions)
  const stores = await createStores(options, partition)
  const cache = createCache(options.cache, {
    size: options.cacheSize,
    ttlMs: options.cacheTtlMs,
    ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
    ...(options.memcachedServer === undefined ? {} : { memcachedServer: options.memcachedServer }),
  })
  const cleanups: (() => Promise<void>)[] = [() => cache.close()]
  try {
    await Promise.all(stores.map((s) => s.init()))
    cleanups.push(() => Promise.all(stores.map((s) => s.close().catch(() => undefined))).then(() => undefined))

    const capacity = createCapacityModel({ ...options.capacity })
    const metrics = createReplicaMetrics({
      cacheStats: () => cache.stats(),
      capacityStats: () => capacity.stats(),
      keysMovedIfShardAddedRatio: keysMovedIfShardAdded(options.partition, partitionOptions, sampleCustomerIds(options.rangeStartMs, Date.now())),
    })
    const downstream = options.syncCallUrl === undefined ? null : new DownstreamClient(options.syncCallUrl, options.syncCallTimeoutMs ?? 2_000)
    if (downstream) cleanups.push(() => downstream.close())
    const service = new CrmService({
      shards: stores,
      partition,
      cache: new CacheAside(cache, options.writePolicy),
      observer: metrics,
      ...(downstream ? { syncCall: (events) => downstream.send(events) } : {}),
    })

    const server = createServer({ keepAliveTimeout: 65_000 })
    const port = await listen(server, options.port, options.host)
    const url = `http://${options.host}:${port}`
    const name = options.name ?? `replica-${port}`
    const adminToken = options.adminToken ?? newAdminToken()
    cleanups.unshift(() => closeServer(server, CLOSE_GRACE_MS))
    server.on(
      'request',
      createApp({
        service,
        replicaName: name,
        metrics,
        capacity,
        admin: { token: adminToken, boundHost: options.host },
        readinessProblems: async () => {
          const problems = await service.readinessProblems(READY_TIMEOUT_MS)
          if (cache.ping !== undefined) {
            await withTimeout(cache.ping(), READY_TIMEOUT_MS).catch((error: unknown) =>
              problems.push(`cache ${cache.name} is not reachable: ${error instanceof Error ? error.message : String(error)}`),
            )
          }
          return problems
        },
      }),
    )
    let closing: Promise<void> | undefined
    return {
      url,
      name,
      adminToken,
      close: () => (closing ??= runCleanups(cleanups)),
    }
  } catch (error) {
    await runCleanups(cleanups)
    throw error
  }
}

/**
 * pg is only loaded when PostgreSQL is used: an embedded replica starts faster without it. Under
 * range partitioning each PostgreSQL shard declares the ids the strategy sends it as a native
 * range partition.
 */
async function createStores(options: ReplicaOptions, partition: PartitionStrategy): Promise<ShardStore[]> {
  if (options.store === 'postgres') {
    const { PostgresShardStore } = await import('../storage/postgres-shard-store.js')
    return options.shards.map((url, i) => new PostgresShardStore(url, partition instanceof RangePartition ? { rangeBounds: partition.idBoundsOf(i) } : {}))
  }
  return options.shards.map((url) => new ShardClient(url))
}

/** Customer ids spread over the range window up to now, as a seeded data set plus new customers would be. */
function sampleCustomerIds(fromMs: number, toMs: number): string[] {
  const span = Math.max(1, toMs - fromMs)
  return Array.from({ length: KEYS_MOVED_SAMPLE }, (_, i) => newCustomerId(Math.floor(fromMs + (span * i) / KEYS_MOVED_SAMPLE)))
}

async function runCleanups(cleanups: readonly (() => Promise<void>)[]): Promise<void> {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined)
}
