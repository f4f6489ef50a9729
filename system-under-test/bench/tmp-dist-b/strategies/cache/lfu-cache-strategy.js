// `lfu`: an in-process cache that evicts the least frequently used entry when full (the least
// recently used among equally frequent ones). It keeps a skewed (zipf) working set better than
// LRU, but never forgets old popularity: there is no ageing, which the comparison should show.
// Values are kept by reference and must be treated as immutable by callers.
import { LfuMap } from './lfu-map.js';
import { versionOf } from './value-version.js';
export class LfuCacheStrategy {
    name = 'lfu';
    entries;
    hits = 0;
    misses = 0;
    evictions = 0;
    constructor(o) {
        if (!Number.isInteger(o.size) || o.size < 1) {
            throw new Error(`--cache-size ${o.size} is not valid: use a whole number >= 1`);
        }
        this.entries = new LfuMap(o.size, () => {
            this.evictions++;
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
        if (value === undefined || value === null)
            this.entries.delete(key);
        else
            this.entries.set(key, value);
    }
}
//# sourceMappingURL=lfu-cache-strategy.js.map