// A fast, stable 32-bit string hash for partitioning. Every replica must map a key to the same
// shard, so the hash may never depend on the process (no seeds, no Map order). FNV-1a is cheap but
// its low bits mix poorly for keys that differ only at the end (sequential ids), and modulo uses
// exactly those bits; murmur3's finaliser spreads every input bit over the whole word.
/** Called per keyed request by the hash-based strategies: an unsigned 32-bit hash of `key`. */
export function stableHash32(key) {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) {
        h ^= key.charCodeAt(i);
        h = Math.imul(h, 0x01000193);
    }
    // murmur3 fmix32
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
}
//# sourceMappingURL=stable-hash.js.map