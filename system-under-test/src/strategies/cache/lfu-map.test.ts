import { describe, expect, it } from 'vitest'
import { LfuMap } from './lfu-map.js'

/** The obvious O(n) LFU, to check the O(1) structure against. */
class ReferenceLfu {
  private readonly items = new Map<string, { value: number; freq: number; lastUse: number }>()
  private tick = 0
  evicted: string[] = []
  constructor(private readonly max: number) {}
  get(key: string): number | undefined {
    const item = this.items.get(key)
    if (!item) return undefined
    item.freq++
    item.lastUse = ++this.tick
    return item.value
  }
  set(key: string, value: number): void {
    const item = this.items.get(key)
    if (item) {
      item.value = value
      item.freq++
      item.lastUse = ++this.tick
      return
    }
    if (this.items.size >= this.max) {
      let victim: string | undefined
      let best: { freq: number; lastUse: number } | undefined
      for (const [k, v] of this.items) {
        if (!best || v.freq < best.freq || (v.freq === best.freq && v.lastUse < best.lastUse)) {
          victim = k
          best = v
        }
      }
      this.items.delete(victim!)
      this.evicted.push(victim!)
    }
    this.items.set(key, { value, freq: 1, lastUse: ++this.tick })
  }
  delete(key: string): void {
    this.items.delete(key)
  }
  get size(): number {
    return this.items.size
  }
}

describe('LfuMap', () => {
  it('behaves exactly like a naive LFU with LRU tie-break over 5,000 random operations', () => {
    const evicted: string[] = []
    const lfu = new LfuMap<number>(16, (key) => evicted.push(key))
    const reference = new ReferenceLfu(16)
    let seed = 7
    const next = (n: number): number => {
      // mulberry32: deterministic, and unlike a bare LCG its low bits are not periodic.
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n) | 0
    }
    for (let i = 0; i < 5_000; i++) {
      const key = `k${next(40)}`
      const op = next(10)
      if (op < 5) expect(lfu.get(key)).toBe(reference.get(key))
      else if (op < 9) {
        lfu.set(key, i)
        reference.set(key, i)
      } else {
        lfu.delete(key)
        reference.delete(key)
      }
      expect(lfu.size).toBe(reference.size)
    }
    expect(evicted).toEqual(reference.evicted)
    expect(evicted.length).toBeGreaterThan(300)
  })

  it('counts uses: set once, then one per get or update; peek does not count', () => {
    const lfu = new LfuMap<string>(4)
    lfu.set('a', 'x')
    lfu.get('a')
    lfu.set('a', 'y')
    lfu.peek('a')
    expect(lfu.frequency('a')).toBe(3)
    expect(lfu.peek('a')).toBe('y')
  })
})
