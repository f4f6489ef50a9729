// `lru`: an in-process cache that evicts the least recently used entry when full (lru-cache).
// Also the base of `ttl`, which is the same cache with an entry lifetime.
//
// Values are kept by reference and must be treated as immutable by callers: copying on every hit
// would cost the throughput this cache exists to give.
import { LRUCache } from 'lru-cache';
import { versionOf } from './value-version.js';
export class LruCacheStrategy {
    name = 'lru';
    entries;
    hits = 0;
    misses = 0;
    evictions = 0;
    constructor(o, ttlMs = 0) {
        if (!Number.isInteger(o.size) || o.size < 1) {
            throw new Error(`--cache-size ${o.size} is not valid: use a whole number >= 1`);
        }
        this.entries = new LRUCache({
            max: o.size,
            ...(ttlMs > 0 ? { ttl: ttlMs, updateAgeOnGet: false } : {}),
            // A test clock moves in jumps: read it on every check instead of caching it for 1 ms.
            ...(o.clock ? { perf: o.clock, ttlResolution: 0 } : {}),
            // Only capacity evictions count: replacements ('set'), deletes and expiries are not.
            dispose: (_value, _key, reason) => {
                if (reason === 'evict')
                    this.evictions++;
            },
        });
    }
    async get(key) {
        const value = this.entries.get(key);
        if (value === undefined)
            this.misses++;
        else
            this.hits++;
        return value;
    }
    async set(key, value) {
        this.put(key, value);
    }
    async setIfNewer(key, value, version) {
        // peek + set run in one synchronous step, so nothing can slip in between.
        const cached = versionOf(this.entries.peek(key));
        if (cached !== undefined && cached > version)
            return false;
        this.put(key, value);
        return true;
    }
    async delete(key) {
        this.entries.delete(key);
    }
    stats() {
        return { hits: this.hits, misses: this.misses, evictions: this.evictions, size: this.entries.size };
    }
    async close() {
        this.entries.clear();
    }
    put(key, value) {
        // lru-cache cannot hold null/undefined; "nothing" is simply not cached.
        if (value === undefined || value === null)
            this.entries.delete(key);
        else
            this.entries.set(key, value);
    }
}
//# sourceMappingURL=lru-cache-strategy.js.map