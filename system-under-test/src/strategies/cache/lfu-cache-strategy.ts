// `lfu`: an in-process cache that evicts the least frequently used entry when full (the least
// recently used among equally frequent ones). It keeps a skewed (zipf) working set better than
// LRU, but never forgets old popularity: there is no ageing, which the comparison should show.

import type { CacheOptions } from './cache.js'
import { InProcessCache } from './in-process-cache.js'
import { LfuMap } from './lfu-map.js'

export class LfuCacheStrategy extends InProcessCache {
  readonly name = 'lfu' as const
  protected readonly entries: LfuMap<object>

  constructor(o: CacheOptions) {
    super(o.size)
    this.entries = new LfuMap<object>(o.size, () => this.countEviction())
  }
}
