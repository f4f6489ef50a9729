// A read cache in front of the shard stores. In-process strategies live per replica; `redis` is
// shared by all replicas.
export const CACHE_STRATEGIES = ['none', 'lru', 'lfu', 'ttl', 'redis'];
export const WRITE_POLICIES = ['invalidate', 'write-through'];
//# sourceMappingURL=cache.js.map