export {};
//# sourceMappingURL=shard-store.js.map