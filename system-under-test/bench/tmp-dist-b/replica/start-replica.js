import { createServer } from 'node:http';
import { createApp } from '../api/create-app.js';
import { createReplicaMetrics } from '../api/replica-metrics.js';
import { createCapacityModel } from '../capacity/create-capacity-model.js';
import { CrmService } from '../domain/crm-service.js';
import { newCustomerId } from '../domain/customer-id.js';
import { ShardClient } from '../storage/shard-client.js';
import { CacheAside } from '../strategies/cache/cache-aside.js';
import { createCache } from '../strategies/cache/cache-registry.js';
import { createPartitionStrategy, keysMovedIfShardAdded } from '../strategies/partition/partition-registry.js';
/** Synthetic keys for the keys-moved gauge: enough for a stable ratio, cheap to compute at start. */
const KEYS_MOVED_SAMPLE = 10_000;
const READY_TIMEOUT_MS = 1_000;
const CLOSE_GRACE_MS = 3_000;
export async function startReplica(options) {
    const stores = await createStores(options);
    const cache = createCache(options.cache, {
        size: options.cacheSize,
        ttlMs: options.cacheTtlMs,
        ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
    });
    const cleanups = [() => cache.close()];
    try {
        await Promise.all(stores.map((s) => s.init()));
        cleanups.push(() => Promise.all(stores.map((s) => s.close().catch(() => undefined))).then(() => undefined));
        const partitionOptions = {
            shardCount: stores.length,
            virtualNodes: options.virtualNodes,
            rangeStartMs: options.rangeStartMs,
            rangeEndMs: options.rangeEndMs,
        };
        const partition = createPartitionStrategy(options.partition, partitionOptions);
        const capacity = createCapacityModel({ ...options.capacity });
        const metrics = createReplicaMetrics({
            cacheStats: () => cache.stats(),
            capacityStats: () => capacity.stats(),
            keysMovedIfShardAddedRatio: keysMovedIfShardAdded(options.partition, partitionOptions, sampleCustomerIds(options.rangeStartMs, Date.now())),
        });
        const service = new CrmService({
            shards: stores,
            partition,
            cache: new CacheAside(cache, options.writePolicy),
            observer: metrics,
        });
        const server = createServer({ keepAliveTimeout: 65_000 });
        const address = await listen(server, options.host, options.port);
        const url = `http://${options.host}:${address.port}`;
        const name = options.name ?? `replica-${address.port}`;
        cleanups.unshift(() => closeServer(server));
        server.on('request', createApp({
            service,
            replicaName: name,
            metrics,
            capacity,
            readinessProblems: async () => {
                const problems = await service.readinessProblems(READY_TIMEOUT_MS);
                if (cache.ping !== undefined) {
                    await withTimeout(cache.ping(), READY_TIMEOUT_MS).catch((error) => problems.push(`cache ${cache.name} is not reachable: ${error instanceof Error ? error.message : String(error)}`));
                }
                return problems;
            },
        }));
        let closing;
        return {
            url,
            name,
            close: () => (closing ??= runCleanups(cleanups)),
        };
    }
    catch (error) {
        await runCleanups(cleanups);
        throw error;
    }
}
/** pg is only loaded when PostgreSQL is used: an embedded replica starts faster without it. */
async function createStores(options) {
    if (options.store === 'postgres') {
        const { PostgresShardStore } = await import('../storage/postgres-shard-store.js');
        return options.shards.map((url) => new PostgresShardStore(url));
    }
    return options.shards.map((url) => new ShardClient(url));
}
/** Customer ids spread over the range window up to now, as a seeded data set plus new customers would be. */
function sampleCustomerIds(fromMs, toMs) {
    const span = Math.max(1, toMs - fromMs);
    return Array.from({ length: KEYS_MOVED_SAMPLE }, (_, i) => newCustomerId(Math.floor(fromMs + (span * i) / KEYS_MOVED_SAMPLE)));
}
function withTimeout(promise, ms) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
function listen(server, host, port) {
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
            server.off('error', reject);
            resolve(server.address());
        });
    });
}
async function closeServer(server) {
    // Idle keep-alive sockets would hold close() open; in-flight requests get a grace period.
    const closed = new Promise((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(timer);
}
async function runCleanups(cleanups) {
    for (const cleanup of cleanups)
        await cleanup().catch(() => undefined);
}
//# sourceMappingURL=start-replica.js.map