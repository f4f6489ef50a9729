// Which shard holds a key. Every replica builds the same strategy from the same flags, so they
// agree without talking to each other.
export const PARTITION_STRATEGIES = ['single', 'hash', 'consistent-hash', 'range'];
//# sourceMappingURL=partition-strategy.js.map