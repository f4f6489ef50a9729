// Everything a replica needs to start, already validated (the CLI validates flags into this; tests
// build it directly).
export const SHARD_STORES = ['embedded', 'postgres'];
//# sourceMappingURL=replica-options.js.map