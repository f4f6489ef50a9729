import { ConfigurationError } from '../config/configuration-error.js'
import type { Customer } from '../domain/records.js'
import { AppendOnlyLog, type LoggedDurability } from '../storage/append-only-log.js'
import { changeEventSchema, type ChangeEvent } from '../sync/change-event.js'

// The downstream system's own copy of the CRM's customers. It applies a change only when its
// version is newer than the one held, so duplicates and late arrivals leave the newest record
// in place (idempotent by version): what makes at-least-once delivery safe. It counts what it
// received twice (duplicates) and what arrived after a newer version (superseded), and keeps,
// for each change it applied, when it applied it: the harness measures sync lag from that.
// With a data file every change it takes is appended (as the shard's AOF) before it is
// acknowledged, so a killed downstream comes back with everything it acknowledged.

export type ApplyOutcome = 'applied' | 'duplicate' | 'superseded'

interface Held {
  version: number
  customer: Customer | null
}

/** One applied change: customer id, version, when it was applied (ms since epoch). */
export type AppliedChange = [id: string, version: number, atMs: number]

export interface DownstreamStats {
  records: number
  received: number
  applied: number
  duplicates: number
  superseded: number
  /** The scheduled puller's position in the CRM's changes feed (null before the first pull or without one). */
  watermark: string | null
}

type LogEntry = { e: ChangeEvent; at: number } | { w: string }

export class DownstreamStore {
  private readonly records = new Map<string, Held>()
  /** Versions received per id, to tell a duplicate from a late older version. */
  private readonly seen = new Map<string, Set<number>>()
  private readonly history: AppliedChange[] = []
  private received = 0
  private duplicates = 0
  private superseded = 0
  private watermarkValue: string | null = null

  private constructor(private readonly log: AppendOnlyLog | null) {}

  /** Called once at start: an empty store, or the one `dataFile` holds (replayed). */
  static async open(dataFile: string | undefined, durability: LoggedDurability = 'everysec'): Promise<{ store: DownstreamStore; replayed: number }> {
    if (dataFile === undefined) return { store: new DownstreamStore(null), replayed: 0 }
    const opened = await AppendOnlyLog.open(dataFile, durability)
    const store = new DownstreamStore(opened.log)
    for (const [i, raw] of opened.entries.entries()) {
      const entry = raw as Partial<{ e: unknown; at: unknown; w: unknown }> | null
      if (entry !== null && typeof entry === 'object' && typeof entry.w === 'string') {
        store.watermarkValue = entry.w
        continue
      }
      const event = changeEventSchema.safeParse(entry?.e)
      if (!event.success || typeof entry?.at !== 'number') {
        await opened.log.close()
        throw new ConfigurationError(`--data-file ${dataFile} is damaged at line ${i + 1}: move the file away to start downstream empty`)
      }
      store.applyInMemory(event.data, entry.at)
    }
    return { store, replayed: opened.entries.length }
  }

  /** Applies the changes in order and resolves once they are as durable as the store promises (then they may be acknowledged). */
  async apply(events: readonly ChangeEvent[], atMs = Date.now()): Promise<ApplyOutcome[]> {
    const outcomes = events.map((e) => this.applyInMemory(e, atMs))
    if (this.log) await Promise.all(events.map((e) => this.log!.append({ e, at: atMs } satisfies LogEntry)))
    return outcomes
  }

  /** Called by the scheduled puller after the changes up to `cursor` are applied. */
  async setWatermark(cursor: string): Promise<void> {
    this.watermarkValue = cursor
    await this.log?.append({ w: cursor } satisfies LogEntry)
  }

  get watermark(): string | null {
    return this.watermarkValue
  }

  /** The version held for `id` (a deleted record keeps its tombstone's version), or null. */
  versionOf(id: string): number | null {
    return this.records.get(id)?.version ?? null
  }

  get(id: string): { id: string; version: number; deleted: boolean; customer: Customer | null } | null {
    const held = this.records.get(id)
    return held === undefined
      ? null
      : { id, version: held.version, deleted: held.customer === null, customer: held.customer === null ? null : { ...held.customer } }
  }

  /** Applied changes from index `from` on, at most `limit`, and the index to ask for next. */
  appliedSince(from: number, limit: number): { items: AppliedChange[]; next: number } {
    const items = this.history.slice(from, from + limit)
    return { items, next: from + items.length }
  }

  stats(): DownstreamStats {
    return {
      records: this.records.size,
      received: this.received,
      applied: this.history.length,
      duplicates: this.duplicates,
      superseded: this.superseded,
      watermark: this.watermarkValue,
    }
  }

  async close(): Promise<void> {
    await this.log?.close()
  }

  private applyInMemory(event: ChangeEvent, atMs: number): ApplyOutcome {
    this.received++
    let versions = this.seen.get(event.id)
    if (versions === undefined) this.seen.set(event.id, (versions = new Set()))
    if (versions.has(event.version)) {
      this.duplicates++
      return 'duplicate'
    }
    versions.add(event.version)
    const held = this.records.get(event.id)
    if (held !== undefined && held.version >= event.version) {
      this.superseded++
      return 'superseded'
    }
    this.records.set(event.id, { version: event.version, customer: event.op === 'delete' ? null : event.customer })
    this.history.push([event.id, event.version, atMs])
    return 'applied'
  }
}
