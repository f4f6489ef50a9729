import { customerIdTimeMs } from '../../domain/customer-id.js';
import { stableHash32 } from './stable-hash.js';
// `range`: customers are placed by the creation time encoded in their id. The window
// [start, end) is split evenly among the first N-1 shards; the last shard takes everything from
// `end` on. Seeded customers (created over the past year) spread over all shards, while every
// customer created now lands on the last shard: the hot-shard consequence range partitioning has
// in real systems. Keys that carry no time (email claims, `email:<email>`) are hashed so they
// still map deterministically and evenly.
const DAY_MS = 86_400_000;
/** Called by the replica CLI for its `--range-start`/`--range-end` defaults: UTC midnight 365 days ago to UTC midnight today. */
export function defaultRangeWindow(nowMs = Date.now()) {
    const todayMidnight = Math.floor(nowMs / DAY_MS) * DAY_MS;
    return { rangeStartMs: todayMidnight - 365 * DAY_MS, rangeEndMs: todayMidnight };
}
export class RangePartition {
    name = 'range';
    shardCount;
    rangeStartMs;
    rangeEndMs;
    scan;
    constructor(shardCount, rangeStartMs, rangeEndMs) {
        this.shardCount = shardCount;
        this.rangeStartMs = rangeStartMs;
        this.rangeEndMs = rangeEndMs;
        this.scan = Array.from({ length: shardCount }, (_, i) => i);
    }
    shardFor(key) {
        if (this.shardCount === 1)
            return 0;
        const t = customerIdTimeMs(key);
        if (t === null)
            return stableHash32(key) % this.shardCount;
        const last = this.shardCount - 1;
        if (t >= this.rangeEndMs)
            return last;
        if (t < this.rangeStartMs)
            return 0;
        const slot = Math.floor(((t - this.rangeStartMs) / (this.rangeEndMs - this.rangeStartMs)) * last);
        return Math.min(slot, last - 1);
    }
    shardsForScan() {
        return this.scan.slice();
    }
}
//# sourceMappingURL=range-partition.js.map