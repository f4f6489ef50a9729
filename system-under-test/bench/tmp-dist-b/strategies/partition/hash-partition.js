import { stableHash32 } from './stable-hash.js';
/**
 * `hash`: hash(key) modulo the shard count. Even spread, but adding a shard changes the modulus,
 * so most keys move (N/(N+1) of them): the cost consistent hashing avoids.
 */
export class HashPartition {
    name = 'hash';
    shardCount;
    scan;
    constructor(shardCount) {
        this.shardCount = shardCount;
        this.scan = Array.from({ length: shardCount }, (_, i) => i);
    }
    shardFor(key) {
        return stableHash32(key) % this.shardCount;
    }
    shardsForScan() {
        return this.scan.slice();
    }
}
//# sourceMappingURL=hash-partition.js.map