/**
 * `single`: every key on shard 0, the baseline the other strategies are compared with. Other
 * configured shards stay idle, which is the point: it shows what one shard alone can do.
 */
export class SinglePartition {
    name = 'single';
    shardCount;
    constructor(shardCount) {
        this.shardCount = shardCount;
    }
    shardFor(_key) {
        return 0;
    }
    shardsForScan() {
        return [0];
    }
}
//# sourceMappingURL=single-partition.js.map