// `none`: no cache at all. Every read is a miss, so the hit rate reads 0 and the comparison with
// the real strategies is fair (same code path, same metrics).
export class NoneCacheStrategy {
    name = 'none';
    misses = 0;
    async get(_key) {
        this.misses++;
        return undefined;
    }
    async set(_key, _value) { }
    async setIfNewer(_key, _value, _version) {
        return false;
    }
    async delete(_key) { }
    stats() {
        return { hits: 0, misses: this.misses, evictions: 0, size: 0 };
    }
    async close() { }
}
//# sourceMappingURL=none-cache-strategy.js.map