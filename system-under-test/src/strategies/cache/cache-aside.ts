// The cache-aside layer a replica puts around its shard stores. Its promise: once a write (or
// delete) has been acknowledged by this replica, this replica never serves the old version; with
// a shared cache (redis), no replica does.
//
// The dangerous interleaving is the slow fill:
//   1. a read misses and starts loading the record from the store (gets version 1);
//   2. a write stores version 2 and then invalidates the cache (or writes version 2 through);
//   3. the slow read finishes and puts version 1 into the cache, where it would stay.
// Three guards, each covering a case the others cannot:
// - Generation counter per key (only while loads of that key are in flight, so memory stays
//   bounded by concurrency). afterWrite/afterDelete bump it; a fill whose load started before the
//   bump is dropped. This covers a write and a fill in the same process, also for values without
//   a version (the 360 view) and for deletes (there is no newer version, only "gone").
// - Write fence, for shared caches (redis): the read and the fill may be in one replica and the
//   write in another, where no counter of this process can see it. Every write moves the key's
//   fence in the cache; a read takes the fence with its lookup (one round trip), and its fill is
//   stored only if the fence has not moved since (one atomic step on the server). Step 2 always
//   moves the fence before step 3 can store, so step 3 is refused, whichever replica wrote.
//   (Before the fence, another replica's slow fill could put version 1 back after an
//   invalidation; every replica but the writer then served it until the entry expired.)
// - Version comparison: a value with a numeric `version` never replaces a cached one with a
//   higher version (atomic inside each cache; a Lua script in redis). This covers two
//   write-through updates of one record whose afterWrite calls finish out of order.
//
// Callers must await afterWrite/afterDelete before acknowledging the write to the client.

import type { Cache, CacheFence, WritePolicy } from './cache.js'
import { versionOf } from './value-version.js'

export interface CacheAsideRead<T> {
  value: T | null
  /** True when the value came from the cache (the API sends `X-Cache: hit`). */
  hit: boolean
}

interface InFlight {
  generation: number
  loads: number
}

export class CacheAside {
  private readonly inFlight = new Map<string, InFlight>()

  constructor(
    readonly cache: Cache,
    readonly policy: WritePolicy,
  ) {}

  /**
   * Called for every cacheable read. Returns the cached value (hit), or loads it from the store,
   * fills the cache unless a write to the key happened meanwhile, and returns it (miss). A null
   * from `load` (not found) is returned and not cached. With `bypass` the cache is neither read
   * nor filled: the value comes from the store.
   */
  async read<T>(key: string, load: () => Promise<T | null>, options: { bypass?: boolean } = {}): Promise<CacheAsideRead<T>> {
    // A reader that must see the store itself (the harness verifying writes): no lookup, no fill.
    if (options.bypass) return { value: await load(), hit: false }
    // Registered before the cache lookup, not after: a write that lands while the lookup is on
    // its way (a redis round trip) must also void this read's fill.
    let flight = this.inFlight.get(key)
    if (!flight) {
      flight = { generation: 0, loads: 0 }
      this.inFlight.set(key, flight)
    }
    flight.loads++
    const startedAt = flight.generation
    let value: T | null
    // Shared caches: the fence as the lookup saw it; null when the lookup could not be made.
    let fence: CacheFence | null | undefined
    try {
      if (this.cache.getWithFence) {
        const seen = await this.cache.getWithFence(key)
        if (seen !== null && seen.value !== undefined) return { value: seen.value as T, hit: true }
        fence = seen === null ? null : seen.fence
      } else {
        const cached = await this.cache.get(key)
        if (cached !== undefined) return { value: cached as T, hit: true }
      }
      value = await load()
    } finally {
      if (--flight.loads === 0) this.inFlight.delete(key)
    }
    if (value !== null && value !== undefined && flight.generation === startedAt && fence !== null) {
      try {
        if (fence !== undefined && this.cache.fillIfUnfenced) await this.cache.fillIfUnfenced(key, value, fence, versionOf(value))
        else await this.store(key, value)
      } catch {
        // A fill is only an optimisation: a cache that is down must not fail the read.
      }
    }
    return { value, hit: false }
  }

  /**
   * Called after every successful update of `key` in the store, before the client gets its
   * answer. `invalidate` deletes the entry; `write-through` stores `newValue` (a null newValue,
   * for derived views such as the 360 view, always deletes). Rejects when the cache could not be
   * updated, so the caller knows the old value may still be served.
   */
  async afterWrite(key: string, newValue: { version: number } | null): Promise<void> {
    this.bumpGeneration(key)
    if (this.policy === 'write-through' && newValue !== null) {
      try {
        await this.store(key, newValue)
        return
      } catch {
        // Fall through: if the new value cannot be stored, at least the old one must go.
      }
    }
    await this.cache.delete(key)
  }

  /** Called after a record was deleted from the store, before the client gets its answer. */
  async afterDelete(key: string): Promise<void> {
    this.bumpGeneration(key)
    await this.cache.delete(key)
  }

  private store(key: string, value: unknown): Promise<unknown> {
    const version = versionOf(value)
    if (version !== undefined && this.cache.setIfNewer) return this.cache.setIfNewer(key, value, version)
    return this.cache.set(key, value)
  }

  private bumpGeneration(key: string): void {
    const flight = this.inFlight.get(key)
    if (flight) flight.generation++
  }
}
