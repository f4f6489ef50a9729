import type { Customer } from './records.js'

// Prefix search scatters to every shard; each shard answers its own customers in (nameKey, id)
// order. A k-way merge of those sorted pages gives the global order without sorting everything.
// Shards are few (a handful), so picking the smallest head each step is simpler and as fast as a
// heap here.

/** The sort key of search results; must match the shard stores' (lower-cased name, then id, code-unit order). */
export function nameKeyOf(customer: Pick<Customer, 'name'>): string {
  return customer.name.toLowerCase()
}

function compare(a: Customer, b: Customer): number {
  const ka = nameKeyOf(a)
  const kb = nameKeyOf(b)
  if (ka !== kb) return ka < kb ? -1 : 1
  if (a.id !== b.id) return a.id < b.id ? -1 : 1
  return 0
}

/** Merges pages that are each sorted by (nameKey, id) into one sorted list of at most `limit`. */
export function mergeSearchPages(pages: readonly (readonly Customer[])[], limit: number): Customer[] {
  const heads = pages.map(() => 0)
  const merged: Customer[] = []
  while (merged.length < limit) {
    let best = -1
    let next: Customer | undefined
    for (let p = 0; p < pages.length; p++) {
      const candidate = pages[p]![heads[p]!]
      if (candidate === undefined) continue
      if (next === undefined || compare(candidate, next) < 0) {
        best = p
        next = candidate
      }
    }
    if (next === undefined) break
    heads[best]!++
    // One customer lives on one shard, but a duplicate would be a bug worth not showing twice.
    if (merged.at(-1)?.id !== next.id) merged.push(next)
  }
  return merged
}
