import { ConfigurationError } from '../config/configuration-error.js'
import type { Activity, Contact, Customer, Deal } from '../domain/records.js'
import { AppendOnlyLog, type LoggedDurability } from './append-only-log.js'
import { MemoryShardStore } from './memory-shard-store.js'
import type { ChangePage } from '../sync/change-event.js'
import type { ChangeFeedSource, CustomerPatch, EmailClaim, SearchPage, SearchPosition, ShardStore } from './shard-store.js'

// A MemoryShardStore whose changes survive a restart: each change that succeeded is appended to
// an append-only log (append-only-log.ts) before the call returns, so the shard server answers
// only once the change is as durable as the level promises, and on start the log is replayed.
// Every argument a change needs is in its entry (ids, timestamps and versions are chosen by the
// replica, never here), so replaying the entries in order rebuilds the same shard.
//
// Order: MemoryShardStore applies each call synchronously when it is invoked, and the entry is
// appended when its promise settles; promises that settle in the same order resume in that
// order, so the log holds the changes in the order they were applied. A read takes its answer
// from memory, then waits for the log to hold every change applied before it: nobody is shown a
// change a crash could still take back.

/** The ShardStore methods that change the shard: the only ones logged and replayed. */
const CHANGES = [
  'claimEmail',
  'claimEmails',
  'releaseEmail',
  'insertCustomer',
  'insertCustomers',
  'updateCustomer',
  'deleteCustomer',
  'insertContact',
  'insertDeal',
  'insertActivity',
] as const satisfies readonly (keyof ShardStore)[]
type Change = (typeof CHANGES)[number]
const CHANGE_NAMES = new Set<string>(CHANGES)

interface Entry {
  op: Change
  args: unknown[]
}

export class LoggedShardStore implements ShardStore, ChangeFeedSource {
  private readonly memory = new MemoryShardStore()
  private log: AppendOnlyLog | null = null
  /** What replay found, for the shard's start-up line. */
  replayed = 0
  truncatedBytes = 0

  constructor(
    readonly path: string,
    readonly durability: LoggedDurability,
  ) {}

  /** Called once before serving: replays the log into memory and opens it for appending. */
  async init(): Promise<void> {
    const opened = await AppendOnlyLog.open(this.path, this.durability)
    const apply = this.memory as unknown as Record<Change, (...args: unknown[]) => Promise<unknown>>
    for (const [i, raw] of opened.entries.entries()) {
      const entry = raw as Partial<Entry> | null
      if (entry === null || typeof entry !== 'object' || typeof entry.op !== 'string' || !CHANGE_NAMES.has(entry.op) || !Array.isArray(entry.args)) {
        await opened.log.close()
        throw new ConfigurationError(
          `--data-file ${this.path} is damaged at line ${i + 1} (not a change this shard logs): move the file away to start this shard empty`,
        )
      }
      await apply[entry.op].apply(this.memory, entry.args)
    }
    this.log = opened.log
    this.replayed = opened.entries.length
    this.truncatedBytes = opened.truncatedBytes
  }

  async close(): Promise<void> {
    await this.log?.close()
  }

  ping(): Promise<boolean> {
    return this.memory.ping()
  }

  async claimEmail(email: string, customerId: string): Promise<string | null> {
    const holder = await this.memory.claimEmail(email, customerId)
    if (holder === null) await this.record('claimEmail', [email, customerId])
    else await this.log?.barrier() // the holder's own claim may still be on its way to the log
    return holder
  }

  async claimEmails(claims: EmailClaim[]): Promise<(string | null)[]> {
    const holders = await this.memory.claimEmails(claims)
    await this.record('claimEmails', [claims])
    return holders
  }

  async releaseEmail(email: string, customerId: string): Promise<void> {
    await this.memory.releaseEmail(email, customerId)
    await this.record('releaseEmail', [email, customerId])
  }

  async insertCustomer(c: Customer): Promise<void> {
    await this.memory.insertCustomer(c)
    await this.record('insertCustomer', [c])
  }

  async insertCustomers(cs: Customer[]): Promise<void> {
    await this.memory.insertCustomers(cs)
    await this.record('insertCustomers', [cs])
  }

  getCustomer(id: string): Promise<Customer | null> {
    return this.read(this.memory.getCustomer(id))
  }

  async updateCustomer(id: string, patch: CustomerPatch, now: string): Promise<Customer | null> {
    const updated = await this.memory.updateCustomer(id, patch, now)
    if (updated !== null) await this.record('updateCustomer', [id, patch, now])
    else await this.log?.barrier()
    return updated
  }

  async deleteCustomer(id: string): Promise<boolean> {
    const deleted = await this.memory.deleteCustomer(id)
    if (deleted) await this.record('deleteCustomer', [id])
    else await this.log?.barrier()
    return deleted
  }

  searchCustomers(prefix: string, limit: number, after: SearchPosition | null): Promise<SearchPage> {
    return this.read(this.memory.searchCustomers(prefix, limit, after))
  }

  countCustomers(): Promise<number> {
    return this.read(this.memory.countCustomers())
  }

  async insertContact(c: Contact): Promise<void> {
    await this.memory.insertContact(c)
    await this.record('insertContact', [c])
  }

  listContacts(customerId: string, limit: number): Promise<Contact[]> {
    return this.read(this.memory.listContacts(customerId, limit))
  }

  async insertDeal(d: Deal): Promise<void> {
    await this.memory.insertDeal(d)
    await this.record('insertDeal', [d])
  }

  listDeals(customerId: string, limit: number, openOnly: boolean): Promise<Deal[]> {
    return this.read(this.memory.listDeals(customerId, limit, openOnly))
  }

  async insertActivity(a: Activity): Promise<void> {
    await this.memory.insertActivity(a)
    await this.record('insertActivity', [a])
  }

  listActivities(customerId: string, limit: number): Promise<Activity[]> {
    return this.read(this.memory.listActivities(customerId, limit))
  }

  /** Like any read, waits until the changes it returns are durable: nothing leaves the outbox that a crash could take back. */
  changesSince(afterSeq: number, limit: number): Promise<ChangePage> {
    return this.read(this.memory.changesSince(afterSeq, limit))
  }

  feedHead(): number {
    return this.memory.feedHead()
  }

  onChange(listener: () => void): () => void {
    return this.memory.onChange(listener)
  }

  private async read<T>(answer: Promise<T>): Promise<T> {
    const value = await answer
    await this.log?.barrier()
    return value
  }

  private record(op: Change, args: unknown[]): Promise<void> {
    if (this.log === null) throw new Error('the shard store is used before init()')
    return this.log.append({ op, args } satisfies Entry)
  }
}
