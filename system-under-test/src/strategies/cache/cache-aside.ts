// The cache-aside layer a replica puts around its shard stores. Its promise: once a write (or
// delete) has been acknowledged by this replica, this replica never serves the old version.
//
// The dangerous interleaving is the slow fill:
//   1. a read misses and starts loading the record from the store (gets version 1);
//   2. a write stores version 2 and then invalidates the cache (or writes version 2 through);
//   3. the slow read finishes and puts version 1 into the cache, where it would stay.
// Three guards, each covering a case the others cannot:
// - Generation counter per key (only while loads of that key are in flight, so memory stays
//   bounded by concurrency). afterWrite/afterDelete bump it; a fill whose load started before the
//   bump is dropped. This is the guard for values without a version (the 360 view) and for
//   deletes (there is no newer version to compare with, only "gone").
// - Version comparison: a value with a numeric `version` never replaces a cached one with a
//   higher version (Cache.setIfNewer, atomic inside each cache; a Lua script in redis). This
//   covers what a per-process counter cannot see: two write-through updates of one record whose
//   afterWrite calls finish out of order, and another replica's slow fill into the shared redis
//   cache after this replica's write-through.
// - Version floor, for shared caches only (redis): under `invalidate`, another replica's slow
//   fill can put version 1 back after this replica deleted the key, and neither guard above sees
//   it (the key is empty, the fill is in another process). So this replica remembers the version
//   it last wrote per key and treats an older cached value as a miss (and repairs the entry).
//
// Callers must await afterWrite/afterDelete before acknowledging the write to the client.

import { LRUCache } from 'lru-cache'
import type { Cache, WritePolicy } from './cache.js'
import { versionOf } from './value-version.js'

/** Keys this replica wrote whose versions it remembers (shared caches only); the oldest go first. */
const VERSION_FLOOR_ENTRIES = 100_000

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
  private readonly floor: LRUCache<string, number> | null

  constructor(
    readonly cache: Cache,
    readonly policy: WritePolicy,
  ) {
    this.floor = cache.name === 'redis' ? new LRUCache<string, number>({ max: VERSION_FLOOR_ENTRIES }) : null
  }

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
    try {
      const cached = await this.cache.get(key)
      if (cached !== undefined && !this.isBelowFloor(key, cached)) return { value: cached as T, hit: true }
      value = await load()
    } finally {
      if (--flight.loads === 0) this.inFlight.delete(key)
    }
    if (value !== null && value !== undefined && flight.generation === startedAt) {
      try {
        await this.fill(key, value)
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
    const version = versionOf(newValue)
    if (version !== undefined) this.raiseFloor(key, version)
    if (this.policy === 'write-through' && newValue !== null) {
      try {
        await this.fill(key, newValue)
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
    // A deleted record has no newer version; the floor makes any cached copy count as stale.
    this.raiseFloor(key, Number.MAX_SAFE_INTEGER)
    await this.cache.delete(key)
  }

  private fill(key: string, value: unknown): Promise<unknown> {
    const version = versionOf(value)
    if (version !== undefined && this.cache.setIfNewer) return this.cache.setIfNewer(key, value, version)
    return this.cache.set(key, value)
  }

  private bumpGeneration(key: string): void {
    const flight = this.inFlight.get(key)
    if (flight) flight.generation++
  }

  private raiseFloor(key: string, version: number): void {
    if (!this.floor) return
    const current = this.floor.get(key)
    if (current === undefined || version > current) this.floor.set(key, version)
  }

  private isBelowFloor(key: string, cached: unknown): boolean {
    if (!this.floor) return false
    const floor = this.floor.get(key)
    if (floor === undefined) return false
    if (floor === Number.MAX_SAFE_INTEGER) return true // deleted by this replica
    const version = versionOf(cached)
    return version !== undefined && version < floor
  }
}
