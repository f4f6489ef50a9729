// An O(1) least-frequently-used map (Shah, Mitra and Matani, "An O(1) algorithm for implementing
// the LFU cache eviction scheme", 2010): a doubly linked list of frequency buckets in increasing
// order, each holding its keys in a Set whose insertion order is the recency order. A use moves
// a key to the next bucket (created if missing, the old one dropped when empty), so the victim is
// always the first key of the first bucket: least frequently used, least recently among equals.
// Written by hand because no installed library implements LFU.

interface Bucket {
  readonly freq: number
  /** Keys used exactly `freq` times; iteration order = least recently used first. */
  readonly keys: Set<string>
  prev: Bucket | null
  next: Bucket | null
}

interface Entry<V> {
  value: V
  bucket: Bucket
}

export class LfuMap<V> {
  private readonly entries = new Map<string, Entry<V>>()
  /** The bucket with the lowest frequency (the eviction end). */
  private head: Bucket | null = null

  /**
   * @param max most entries held; inserting one more evicts first.
   * @param onEvict called for each entry pushed out to make room (not for deletes or updates).
   */
  constructor(
    readonly max: number,
    private readonly onEvict?: (key: string, value: V) => void,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`LFU size ${max} is not valid: use a whole number >= 1`)
  }

  get size(): number {
    return this.entries.size
  }

  /** The value, counting one use; undefined when absent. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    this.touch(key, entry)
    return entry.value
  }

  /** The value without counting a use. */
  peek(key: string): V | undefined {
    return this.entries.get(key)?.value
  }

  /** How often the key was used (set counts once, each get and update once more). */
  frequency(key: string): number | undefined {
    return this.entries.get(key)?.bucket.freq
  }

  /** Inserts with frequency 1 (evicting first when full), or replaces the value and counts a use. */
  set(key: string, value: V): void {
    const existing = this.entries.get(key)
    if (existing) {
      existing.value = value
      this.touch(key, existing)
      return
    }
    if (this.entries.size >= this.max) this.evictOne()
    let first = this.head
    if (first?.freq !== 1) {
      first = { freq: 1, keys: new Set(), prev: null, next: this.head }
      if (this.head) this.head.prev = first
      this.head = first
    }
    first.keys.add(key)
    this.entries.set(key, { value, bucket: first })
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key)
    if (!entry) return false
    this.entries.delete(key)
    this.leave(entry.bucket, key)
    return true
  }

  clear(): void {
    this.entries.clear()
    this.head = null
  }

  private touch(key: string, entry: Entry<V>): void {
    const from = entry.bucket
    let to = from.next
    if (!to || to.freq !== from.freq + 1) {
      to = { freq: from.freq + 1, keys: new Set(), prev: from, next: from.next }
      if (from.next) from.next.prev = to
      from.next = to
    }
    to.keys.add(key)
    entry.bucket = to
    this.leave(from, key)
  }

  /** Removes the key from its bucket, unlinking the bucket when it empties. */
  private leave(bucket: Bucket, key: string): void {
    bucket.keys.delete(key)
    if (bucket.keys.size > 0) return
    if (bucket.prev) bucket.prev.next = bucket.next
    else this.head = bucket.next
    if (bucket.next) bucket.next.prev = bucket.prev
  }

  private evictOne(): void {
    const bucket = this.head
    if (!bucket) return
    const victim = bucket.keys.values().next().value as string
    const entry = this.entries.get(victim)!
    this.entries.delete(victim)
    this.leave(bucket, victim)
    this.onEvict?.(victim, entry.value)
  }
}
