// A sorted (key, id) index over parallel arrays with binary search: what prefix search needs
// (seek to the first key >= prefix, walk forward while keys share it) without a tree library.
// Single inserts splice (a memmove, microseconds at 100k entries); bulk inserts sort the batch and
// merge it in one pass, so seeding stays linear.
/** (key, id) order in UTF-16 code units, the order every shard store and the replica's merge use. */
export function compareKeyId(aKey, aId, bKey, bId) {
    if (aKey !== bKey)
        return aKey < bKey ? -1 : 1;
    if (aId !== bId)
        return aId < bId ? -1 : 1;
    return 0;
}
export class SortedKeyIndex {
    keys = [];
    ids = [];
    get size() {
        return this.keys.length;
    }
    keyAt(i) {
        return this.keys[i];
    }
    idAt(i) {
        return this.ids[i];
    }
    /** First position whose entry is >= (key, id); `size` when none. */
    lowerBound(key, id) {
        let lo = 0;
        let hi = this.keys.length;
        while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (compareKeyId(this.keys[mid], this.ids[mid], key, id) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
    /** First position whose entry is > (key, id). */
    upperBound(key, id) {
        let lo = 0;
        let hi = this.keys.length;
        while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (compareKeyId(this.keys[mid], this.ids[mid], key, id) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
    insert(key, id) {
        const at = this.lowerBound(key, id);
        this.keys.splice(at, 0, key);
        this.ids.splice(at, 0, id);
    }
    /** Removes the entry if present; returns whether it was. */
    remove(key, id) {
        const at = this.lowerBound(key, id);
        if (at >= this.keys.length || this.keys[at] !== key || this.ids[at] !== id)
            return false;
        this.keys.splice(at, 1);
        this.ids.splice(at, 1);
        return true;
    }
    /** Adds many entries at once: sort the batch, then one linear merge with what is there. */
    insertMany(entries) {
        if (entries.length === 0)
            return;
        const batch = [...entries].sort((a, b) => compareKeyId(a.key, a.id, b.key, b.id));
        const n = this.keys.length;
        const keys = new Array(n + batch.length);
        const ids = new Array(n + batch.length);
        let i = 0;
        let j = 0;
        let out = 0;
        while (i < n || j < batch.length) {
            if (j >= batch.length || (i < n && compareKeyId(this.keys[i], this.ids[i], batch[j].key, batch[j].id) <= 0)) {
                keys[out] = this.keys[i];
                ids[out++] = this.ids[i++];
            }
            else {
                keys[out] = batch[j].key;
                ids[out++] = batch[j++].id;
            }
        }
        this.keys = keys;
        this.ids = ids;
    }
}
//# sourceMappingURL=sorted-key-index.js.map