import { describe, expect, it } from 'vitest'
import { TtlCacheStrategy } from './ttl-cache-strategy.js'

function fakeClock(): { now(): number; advance(ms: number): void } {
  let t = 1000
  return { now: () => t, advance: (ms) => void (t += ms) }
}

describe('ttl cache', () => {
  it('serves an entry until its ttl passes, then misses', async () => {
    const clock = fakeClock()
    const cache = new TtlCacheStrategy({ size: 10, ttlMs: 1000, clock })
    await cache.set('a', { v: 1 })
    clock.advance(999)
    expect(await cache.get('a')).toEqual({ v: 1 })
    clock.advance(2)
    expect(await cache.get('a')).toBeUndefined()
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, evictions: 0, size: 0 })
  })

  it('reading does not extend the lifetime; writing again does', async () => {
    const clock = fakeClock()
    const cache = new TtlCacheStrategy({ size: 10, ttlMs: 1000, clock })
    await cache.set('a', 'first')
    await cache.set('b', 'b')
    clock.advance(600)
    await cache.get('a')
    await cache.set('b', 'b again')
    clock.advance(600)
    expect(await cache.get('a')).toBeUndefined()
    expect(await cache.get('b')).toBe('b again')
  })

  it('size drops as entries expire', async () => {
    const clock = fakeClock()
    const cache = new TtlCacheStrategy({ size: 10, ttlMs: 100, clock })
    await cache.set('a', 1)
    clock.advance(50)
    await cache.set('b', 2)
    expect(cache.stats().size).toBe(2)
    clock.advance(60)
    expect(cache.stats().size).toBe(1)
  })

  it('is bounded by size like lru', async () => {
    const cache = new TtlCacheStrategy({ size: 2, ttlMs: 60_000, clock: fakeClock() })
    await cache.set('a', 1)
    await cache.set('b', 2)
    await cache.get('a')
    await cache.set('c', 3)
    expect(await cache.get('b')).toBeUndefined()
    expect(await cache.get('a')).toBe(1)
    expect(cache.stats().evictions).toBe(1)
  })

  it('refuses a ttl of 0 with a message naming the flag', () => {
    expect(() => new TtlCacheStrategy({ size: 10, ttlMs: 0 })).toThrow(/--cache-ttl-ms 0/)
  })
})
