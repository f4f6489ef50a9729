// A sorted (key, id) index over parallel arrays with binary search: what prefix search needs
// (seek to the first key >= prefix, walk forward while keys share it) without a tree library.
// Single inserts splice (a memmove, microseconds at 100k entries); bulk inserts sort the batch and
// merge it in one pass, so seeding stays linear.

/** (key, id) order in UTF-16 code units, the order every shard store and the replica's merge use. */
export function compareKeyId(aKey: string, aId: string, bKey: string, bId: string): number {
  if (aKey !== bKey) return aKey < bKey ? -1 : 1
  if (aId !== bId) return aId < bId ? -1 : 1
  return 0
}

export class SortedKeyIndex {
  private keys: string[] = []
  private ids: string[] = []

  get size(): number {
    return this.keys.length
  }

  /** `i` in [0, size). */
  keyAt(i: number): string {
    return this.keys[i]!
  }

  /** `i` in [0, size). */
  idAt(i: number): string {
    return this.ids[i]!
  }

  /** First position whose entry is >= (key, id); `size` when none. */
  lowerBound(key: string, id: string): number {
    let lo = 0
    let hi = this.keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareKeyId(this.keys[mid]!, this.ids[mid]!, key, id) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** First position whose entry is > (key, id). */
  upperBound(key: string, id: string): number {
    let lo = 0
    let hi = this.keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareKeyId(this.keys[mid]!, this.ids[mid]!, key, id) <= 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  insert(key: string, id: string): void {
    const at = this.lowerBound(key, id)
    this.keys.splice(at, 0, key)
    this.ids.splice(at, 0, id)
  }

  /** Removes the entry if present; returns whether it was. */
  remove(key: string, id: string): boolean {
    const at = this.lowerBound(key, id)
    if (at >= this.keys.length || this.keys[at] !== key || this.ids[at] !== id) return false
    this.keys.splice(at, 1)
    this.ids.splice(at, 1)
    return true
  }

  /** Adds many entries at once: sort the batch, then one linear merge with what is there. */
  insertMany(entries: readonly { key: string; id: string }[]): void {
    if (entries.length === 0) return
    const batch = [...entries].sort((a, b) => compareKeyId(a.key, a.id, b.key, b.id))
    const n = this.keys.length
    const keys = new Array<string>(n + batch.length)
    const ids = new Array<string>(n + batch.length)
    let i = 0
    let j = 0
    let out = 0
    while (i < n || j < batch.length) {
      const next = batch[j]
      if (next === undefined || (i < n && compareKeyId(this.keys[i]!, this.ids[i]!, next.key, next.id) <= 0)) {
        keys[out] = this.keys[i]!
        ids[out++] = this.ids[i++]!
      } else {
        keys[out] = next.key
        ids[out++] = next.id
        j++
      }
    }
    this.keys = keys
    this.ids = ids
  }
}
