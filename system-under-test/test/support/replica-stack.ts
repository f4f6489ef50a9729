import { DEFAULT_CAPACITY } from '../../src/capacity/create-capacity-model.js'
import { startReplica } from '../../src/replica/start-replica.js'
import type { ReplicaOptions } from '../../src/replica/replica-options.js'
import { startShardServer, type RunningShardServer } from '../../src/storage/embedded-shard-server.js'
import { TEST_ADMIN_TOKEN } from './sut-processes.js'

/** A replica over embedded shard servers, all in this process (cheap to start in a test). */
export interface ReplicaStack {
  url: string
  shards: RunningShardServer[]
  /** Stops the replica, then the shards; safe to call twice. */
  close(): Promise<void>
}

/**
 * Starts `shardCount` shard servers and one replica over them (hash partitioning, no cache
 * unless `overrides` say otherwise), with TEST_ADMIN_TOKEN as its admin token.
 */
export async function startReplicaStack(overrides: Partial<ReplicaOptions> = {}, shardCount = 2): Promise<ReplicaStack> {
  const shards = await Promise.all(
    Array.from({ length: shardCount }, (_, shardIndex) => startShardServer({ host: '127.0.0.1', port: 0, shardIndex, capacity: { ...DEFAULT_CAPACITY } })),
  )
  try {
    const replica = await startReplica({
      host: '127.0.0.1',
      port: 0,
      shards: shards.map((s) => s.url),
      store: 'embedded',
      partition: 'hash',
      virtualNodes: 160,
      rangeStartMs: Date.parse('2025-01-01T00:00:00Z'),
      rangeEndMs: Date.parse('2026-01-01T00:00:00Z'),
      cache: 'none',
      cacheSize: 1000,
      cacheTtlMs: 30_000,
      writePolicy: 'invalidate',
      capacity: { ...DEFAULT_CAPACITY },
      adminToken: TEST_ADMIN_TOKEN,
      ...overrides,
    })
    let closing: Promise<void> | undefined
    return {
      url: replica.url,
      shards,
      close: () =>
        (closing ??= replica
          .close()
          .finally(() => Promise.all(shards.map((s) => s.close())))
          .then(() => undefined)),
    }
  } catch (error) {
    await Promise.all(shards.map((s) => s.close()))
    throw error
  }
}
