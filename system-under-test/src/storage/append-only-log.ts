import { open, readFile, truncate, type FileHandle } from 'node:fs/promises'
import { ConfigurationError } from '../config/configuration-error.js'
import { DURABILITY_LEVELS, type Durability } from '../contract/strategy-names.js'

// An append-only log of JSON lines, as Redis's AOF: every change is appended before it is
// acknowledged, and a restart replays the file. How far "appended" goes before the
// acknowledgement is the durability level:
//   everysec  the entry is written to the file (the OS holds it: a killed process loses nothing),
//             fsync'd once a second (a machine crash loses at most about a second);
//   always    the entry is written and fdatasync'd (on disk) before the acknowledgement.
// Entries that arrive while a write is under way go together in the next one (group commit), so
// `always` costs one fsync per batch, not per change.

// The names are part of the contract with the harness.
export { DURABILITY_LEVELS, type Durability }
export type LoggedDurability = Exclude<Durability, 'none'>

const EVERYSEC_MS = 1000

/** What opening a log found: the entries to replay, in order, and whether a torn last line was cut off. */
export interface OpenedLog {
  log: AppendOnlyLog
  entries: unknown[]
  /** Bytes of an incomplete last line (a write cut by a crash) that were removed; 0 when none. */
  truncatedBytes: number
}

interface Waiter {
  resolve(): void
  reject(error: unknown): void
}

export class AppendOnlyLog {
  private pending: string[] = []
  private waiters: Waiter[] = []
  private writing: Promise<void> | null = null
  private unsynced = false
  private failed: unknown = null
  private closed = false
  private readonly syncTimer: NodeJS.Timeout | null

  private constructor(
    readonly path: string,
    readonly durability: LoggedDurability,
    private readonly file: FileHandle,
  ) {
    this.syncTimer = durability === 'everysec' ? setInterval(() => void this.syncIfNeeded(), EVERYSEC_MS) : null
    this.syncTimer?.unref()
  }

  /**
   * Called once when a shard starts: reads every complete line of `path` (creating the file when
   * it does not exist), cuts off an incomplete last line, and opens the file for appending. A
   * damaged line anywhere else is a ConfigurationError naming the file and line: replaying past
   * it would serve a shard that silently lost data.
   */
  static async open(path: string, durability: LoggedDurability): Promise<OpenedLog> {
    let text = ''
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw new ConfigurationError(`--data-file ${path} cannot be read: ${(error as Error).message}`)
    }
    const end = text.lastIndexOf('\n') + 1
    const truncatedBytes = Buffer.byteLength(text.slice(end))
    const entries: unknown[] = []
    const lines = text.slice(0, end).split('\n')
    lines.pop() // after the last newline
    lines.forEach((line, i) => {
      try {
        entries.push(JSON.parse(line))
      } catch {
        throw new ConfigurationError(`--data-file ${path} is damaged at line ${i + 1} (not a log entry): move the file away to start this shard empty`)
      }
    })
    if (truncatedBytes > 0) await truncate(path, Buffer.byteLength(text.slice(0, end)))
    const file = await open(path, 'a')
    return { log: new AppendOnlyLog(path, durability, file), entries, truncatedBytes }
  }

  /**
   * Called after each change was applied, before it is acknowledged: resolves once the entry is
   * as durable as the level promises. Rejects when the log cannot be written; from then on every
   * append rejects (as Redis refuses writes once its AOF fails): a change that cannot be logged
   * must not be acknowledged.
   */
  append(entry: unknown): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed)
    if (this.closed) return Promise.reject(new Error(`append-only log ${this.path} is closed`))
    this.pending.push(`${JSON.stringify(entry)}\n`)
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      this.writing ??= this.writeBatches()
    })
  }

  /**
   * Called before a read is answered: resolves once every entry appended so far is as durable as
   * the level promises, so no reader sees a change a crash could still take back (Redis, too,
   * answers nobody before the log write of the changes it has applied).
   */
  barrier(): Promise<void> {
    if (this.writing === null) return this.failed === null ? Promise.resolve() : Promise.reject(this.failed)
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
  }

  /** Called on shutdown: writes and syncs what is pending, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.syncTimer) clearInterval(this.syncTimer)
    await this.writing
    await this.syncIfNeeded()
    await this.file.close()
  }

  /** Writes batches until nothing is pending; the entries appended during one write form the next. */
  private async writeBatches(): Promise<void> {
    // Let every change of this turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve))
    // Waiters without an entry of their own (barriers) wait for the batches before them.
    while (this.pending.length > 0 || this.waiters.length > 0) {
      const batch = this.pending.join('')
      const waiters = this.waiters
      this.pending = []
      this.waiters = []
      try {
        if (batch !== '') {
          await this.file.write(batch)
          if (this.durability === 'always') await this.file.datasync()
          else this.unsynced = true
        }
        for (const w of waiters) w.resolve()
      } catch (error) {
        this.failed = new Error(`append-only log ${this.path} could not be written (${(error as Error).message}): this shard acknowledges no more writes`)
        for (const w of [...waiters, ...this.waiters]) w.reject(this.failed)
        this.pending = []
        this.waiters = []
      }
    }
    this.writing = null
  }

  private async syncIfNeeded(): Promise<void> {
    if (!this.unsynced || this.failed !== null) return
    this.unsynced = false
    try {
      await this.file.datasync()
    } catch (error) {
      this.failed = new Error(`append-only log ${this.path} could not be synced (${(error as Error).message}): this shard acknowledges no more writes`)
    }
  }
}
