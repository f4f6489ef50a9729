// The newest version of each customer this harness wrote and the CRM acknowledged (200/201).
// Reads are checked against it (stale_reads) and after the run every entry is read back
// (lost_writes). Only records the run wrote are tracked: seeded records are version 1, the
// lowest possible, so a read of them can never be older than what was acknowledged.

/** One acknowledged write: which version of which customer, and when the acknowledgement arrived (ms since epoch). */
export interface Acknowledgement {
  id: string
  version: number
  atMs: number
}

export class VersionTracker {
  private readonly versions = new Map<string, number>()
  private readonly acks: Acknowledgement[] | null

  /** `recordAcks`: keep every acknowledgement with its time (sync lag needs them; memory grows with the writes). */
  constructor(options: { recordAcks?: boolean; now?: () => number } = {}) {
    this.acks = options.recordAcks ? [] : null
    this.now = options.now ?? Date.now
  }

  private readonly now: () => number

  /** Called on every acknowledged write (201 create, 200 update) with the version the CRM returned; `atMs` when a load agent saw it (default now). */
  acknowledge(id: string, version: number, atMs = this.now()): void {
    this.acks?.push({ id, version, atMs })
    const prev = this.versions.get(id)
    // Responses of concurrent updates can arrive out of order: keep the highest.
    if (prev === undefined || version > prev) this.versions.set(id, version)
  }

  /** Called when a read is generated: the version the read must at least return, if tracked. */
  get(id: string): number | undefined {
    return this.versions.get(id)
  }

  /** true when `version` is older than the newest acknowledged version of `id`. */
  isStale(id: string, version: number): boolean {
    const v = this.versions.get(id)
    return v !== undefined && version < v
  }

  /** Number of tracked records. */
  get size(): number {
    return this.versions.size
  }

  /** Every acknowledgement since `fromMs`, in arrival order (empty unless constructed with recordAcks). */
  acknowledgements(fromMs = 0): Acknowledgement[] {
    return (this.acks ?? []).filter((a) => a.atMs >= fromMs)
  }

  /** Called after the run by verifyWrites: every tracked record with its acknowledged version. */
  entries(): IterableIterator<[string, number]> {
    return this.versions.entries()
  }
}
