import { randomBytes } from 'node:crypto'
import type { ChangeEvent, ChangePage, FeedEntry } from './change-event.js'

// A shard's change feed: every customer change, in the order the shard applied it, numbered.
// It is the transactional outbox of the embedded store: written in the same synchronous step as
// the change itself, so no acknowledged change can be missing from it, and replaying a shard's
// append-only log rebuilds it (see logged-shard-store.ts). Consumers (the outbox publisher, the
// CRM's changes endpoint) read it from a position; it is never trimmed, which suits runs of
// minutes to hours.

export class ChangeFeed {
  /** New on every start: positions from an earlier life of the shard mean nothing now. */
  readonly epoch = randomBytes(6).toString('base64url')
  private readonly entries: FeedEntry[] = []
  private readonly listeners = new Set<() => void>()

  /** Called by the store in the same synchronous step as the change it describes. */
  append(event: ChangeEvent): void {
    this.entries.push({ ...event, seq: this.entries.length + 1 })
    for (const listener of this.listeners) listener()
  }

  /** Changes after `afterSeq`, at most `limit`. A position beyond the head (another epoch's) reads from the start. */
  page(afterSeq: number, limit: number): ChangePage {
    const from = afterSeq > this.entries.length || afterSeq < 0 ? 0 : afterSeq
    return { epoch: this.epoch, items: this.entries.slice(from, from + limit).map((e) => ({ ...e })), head: this.entries.length }
  }

  get head(): number {
    return this.entries.length
  }

  /** Called by a publisher to be woken on new changes; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
