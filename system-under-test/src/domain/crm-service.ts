import type { CustomerPatch, ShardStore } from '../storage/shard-store.js'
import type { PartitionStrategy } from '../strategies/partition/partition-strategy.js'
import type { CacheAside } from '../strategies/cache/cache-aside.js'
import { ShardOverloadedError, ShardUnavailableError } from '../storage/shard-errors.js'
import { withTimeout } from '../util/with-timeout.js'
import { customerIdTimeMs, newChildId, newCustomerId } from './customer-id.js'
import { ConflictError, NotFoundError, OverloadedError, UnavailableError, ValidationError } from './domain-errors.js'
import { deleteEvent, upsertEvent, type ChangeEvent, type FeedEntry } from '../sync/change-event.js'
import { decodeChangesCursor, encodeChangesCursor, type ShardPosition } from '../sync/changes-cursor.js'
import { mergeSearchPages, nameKeyOf } from './merge-search-pages.js'
import { OPEN_DEAL_STAGES, type Activity, type ActivityType, type Contact, type Customer, type Deal, type DealStage, type Segment } from './records.js'
import { decodeSearchCursor, encodeSearchCursor } from './search-cursor.js'

// The CRM use cases over partitioned shard stores. Everything about a customer lives on the shard
// its id maps to; the only cross-shard pieces are email uniqueness (a claim on the shard that owns
// `email:<lower(email)>`) and prefix search (scatter to every shard, merge). Reads of a customer
// and its 360 view go through the cache-aside layer, which promises that after a write this
// replica never serves the old version.

export interface NewCustomer {
  name: string
  email: string
  company: string
  segment: Segment
}
export interface SeedCustomer extends NewCustomer {
  createdAt: string
}
export interface NewContact {
  name: string
  email: string
  phone?: string | null
  role?: string | null
}
export interface NewDeal {
  title: string
  amount: number
  currency?: string
  stage?: DealStage
}
export interface NewActivity {
  type: ActivityType
  at?: string
  note?: string
}

export interface SearchResult {
  items: Customer[]
  nextCursor: string | null
}
export interface Customer360 {
  customer: Customer
  contacts: Contact[]
  openDeals: Deal[]
  latestActivities: Activity[]
}
/** A read that may have come from the cache; the API turns `hit` into `X-Cache`. */
export interface CachedRead<T> {
  value: T
  hit: boolean
}

/** Observes every call to a shard store; used for the per-shard metrics. */
export interface ShardCallObserver {
  /** Called when a shard call settles (success or failure), with its duration in seconds. */
  onShardCall(shard: number, seconds: number): void
}

export interface CrmServiceOptions {
  shards: readonly ShardStore[]
  partition: PartitionStrategy
  cache: CacheAside
  observer?: ShardCallObserver
  /** Clock, injectable so tests can pin createdAt. */
  now?: () => number
  /**
   * Sync strategy `sync-call`: called with each customer change after it is stored and before the
   * write is acknowledged; rejects with DownstreamUnavailableError when downstream did not take it.
   */
  syncCall?: (events: ChangeEvent[]) => Promise<void>
}

/** A page of the changes endpoint: changes from every shard and the cursor to read on from. */
export interface ChangesPage {
  items: FeedEntry[]
  cursor: string
  caughtUp: boolean
}

/** Children shown in the 360 view (the API lists more through the per-kind routes). */
const VIEW_CONTACTS = 20
const VIEW_OPEN_DEALS = 20
const VIEW_ACTIVITIES = 10
/** Claims released after a failed bulk load run this many at a time: fast, without flooding one shard. */
const RELEASE_CONCURRENCY = 32
/** Seeded customers go to downstream (sync-call) in calls of this many. */
const SYNC_CALL_BATCH = 500

export const customerCacheKey = (id: string): string => `customer:${id}`
export const customer360CacheKey = (id: string): string => `c360:${id}`
const emailKey = (email: string): string => `email:${email.toLowerCase()}`

export class CrmService {
  private readonly shards: readonly ShardStore[]
  private readonly partition: PartitionStrategy
  private readonly cache: CacheAside
  private readonly observer: ShardCallObserver | undefined
  private readonly now: () => number
  private readonly syncCall: ((events: ChangeEvent[]) => Promise<void>) | undefined

  constructor(options: CrmServiceOptions) {
    if (options.shards.length !== options.partition.shardCount) {
      throw new Error(`partition strategy expects ${options.partition.shardCount} shards but ${options.shards.length} stores were given`)
    }
    this.shards = options.shards
    this.partition = options.partition
    this.cache = options.cache
    this.observer = options.observer
    this.now = options.now ?? Date.now
    this.syncCall = options.syncCall
  }

  // ---------------------------------------------------------------- customers

  async createCustomer(input: NewCustomer): Promise<Customer> {
    const nowMs = this.now()
    const at = new Date(nowMs).toISOString()
    const customer: Customer = { id: newCustomerId(nowMs), ...input, createdAt: at, updatedAt: at, version: 1 }
    await this.claimEmailOrThrow(customer.email, customer.id)
    try {
      await this.onShard(this.partition.shardFor(customer.id), (s) => s.insertCustomer(customer))
    } catch (error) {
      await this.releaseEmailQuietly(customer.email, customer.id)
      throw error
    }
    await this.syncCall?.([upsertEvent(customer, at)])
    return customer
  }

  /** `bypassCache`: read from the shard, leave the cache as it is (a client that must see the stored version). */
  async getCustomer(id: string, bypassCache = false): Promise<CachedRead<Customer>> {
    assertCustomerId(id)
    const read = await this.cache.read(customerCacheKey(id), () => this.onShard(this.partition.shardFor(id), (s) => s.getCustomer(id)), { bypass: bypassCache })
    if (read.value === null || read.value === undefined) throw notFound(id)
    return { value: read.value as Customer, hit: read.hit }
  }

  async updateCustomer(id: string, patch: CustomerPatch): Promise<Customer> {
    assertCustomerId(id)
    const shard = this.partition.shardFor(id)
    // Only an email change needs the current record (to move the claim); other patches go straight to the shard.
    let newEmail: string | null = null
    let oldEmail: string | null = null
    if (patch.email !== undefined) {
      const current = await this.onShard(shard, (s) => s.getCustomer(id))
      if (current === null) throw notFound(id)
      if (patch.email.toLowerCase() !== current.email.toLowerCase()) {
        newEmail = patch.email
        oldEmail = current.email
        await this.claimEmailOrThrow(newEmail, id)
      }
    }
    let updated: Customer | null
    try {
      updated = await this.onShard(shard, (s) => s.updateCustomer(id, patch, new Date(this.now()).toISOString()))
    } catch (error) {
      if (newEmail !== null) await this.releaseEmailQuietly(newEmail, id)
      throw error
    }
    if (updated === null) {
      // Unknown id, or deleted between our read and the update.
      if (newEmail !== null) await this.releaseEmailQuietly(newEmail, id)
      throw notFound(id)
    }
    if (oldEmail !== null) await this.releaseEmailQuietly(oldEmail, id)
    await this.cache.afterWrite(customerCacheKey(id), updated)
    await this.cache.afterWrite(customer360CacheKey(id), null)
    await this.syncCall?.([upsertEvent(updated, updated.updatedAt)])
    return updated
  }

  async deleteCustomer(id: string): Promise<void> {
    assertCustomerId(id)
    const shard = this.partition.shardFor(id)
    const current = await this.onShard(shard, (s) => s.getCustomer(id))
    if (current === null) throw notFound(id)
    const deleted = await this.onShard(shard, (s) => s.deleteCustomer(id))
    await this.cache.afterDelete(customerCacheKey(id))
    await this.cache.afterDelete(customer360CacheKey(id))
    if (!deleted) throw notFound(id)
    await this.releaseEmailQuietly(current.email, id)
    await this.syncCall?.([deleteEvent(id, current.version, new Date(this.now()).toISOString())])
  }

  /**
   * Name or email prefix search over every shard. Each shard is asked for one more than `limit`
   * after the cursor position, so the merged list tells whether another page exists without a
   * second round trip.
   */
  async searchCustomers(prefix: string, limit: number, cursor: string | null): Promise<SearchResult> {
    const after = cursor === null ? null : decodeSearchCursor(cursor)
    const q = prefix.toLowerCase()
    const pages = await Promise.all(this.partition.shardsForScan().map((shard) => this.onShard(shard, (s) => s.searchCustomers(q, limit + 1, after))))
    const merged = mergeSearchPages(
      pages.map((p) => p.items),
      limit + 1,
    )
    const items = merged.slice(0, limit)
    const last = items[items.length - 1]
    const nextCursor = merged.length > limit && last !== undefined ? encodeSearchCursor({ nameKey: nameKeyOf(last), id: last.id }) : null
    return { items, nextCursor }
  }

  /** Customer, contacts, open deals and latest activities: one shard, read in parallel, cached as a whole. */
  async getCustomer360(id: string, bypassCache = false): Promise<CachedRead<Customer360>> {
    assertCustomerId(id)
    const shard = this.partition.shardFor(id)
    const read = await this.cache.read(
      customer360CacheKey(id),
      async () => {
        const [customer, contacts, openDeals, latestActivities] = await Promise.all([
          this.onShard(shard, (s) => s.getCustomer(id)),
          this.onShard(shard, (s) => s.listContacts(id, VIEW_CONTACTS)),
          this.onShard(shard, (s) => s.listDeals(id, VIEW_OPEN_DEALS, true)),
          this.onShard(shard, (s) => s.listActivities(id, VIEW_ACTIVITIES)),
        ])
        if (customer === null) return null
        const view: Customer360 = {
          customer,
          contacts,
          // The store filters already; filtering again keeps the view honest whatever the store.
          openDeals: openDeals.filter((d) => OPEN_DEAL_STAGES.includes(d.stage)),
          latestActivities,
        }
        return view
      },
      { bypass: bypassCache },
    )
    if (read.value === null || read.value === undefined) throw notFound(id)
    return { value: read.value as Customer360, hit: read.hit }
  }

  /**
   * Seeding fast path: ids derive from each createdAt, so a data set spread over a year spreads
   * over range partitions as real data would. Emails are claimed first (so later creates still
   * see them as taken); on any conflict nothing is inserted and the claims are released.
   */
  async bulkInsertCustomers(inputs: readonly SeedCustomer[]): Promise<string[]> {
    const seen = new Map<string, number>()
    const duplicates: { field: string; message: string }[] = []
    inputs.forEach((c, i) => {
      const key = c.email.toLowerCase()
      const first = seen.get(key)
      if (first !== undefined) duplicates.push({ field: `customers.${i}.email`, message: `same email as customers.${first}` })
      else seen.set(key, i)
    })
    if (duplicates.length > 0) throw new ValidationError('emails must be unique within one bulk call', duplicates)

    const customers: Customer[] = inputs.map((c) => {
      const createdMs = Date.parse(c.createdAt)
      const createdAt = new Date(createdMs).toISOString()
      return { id: newCustomerId(createdMs), name: c.name, email: c.email, company: c.company, segment: c.segment, createdAt, updatedAt: createdAt, version: 1 }
    })

    // One bulk claim per email shard; what was claimed is released again if anything fails.
    const byEmailShard = groupBy(customers, (c) => this.partition.shardFor(emailKey(c.email)))
    const claimed: Customer[] = []
    const conflicts: ConflictError[] = []
    const claimResults = await Promise.allSettled(
      [...byEmailShard].map(async ([shard, group]) => {
        const holders = await this.onShard(shard, (s) => s.claimEmails(group.map((c) => ({ email: c.email, customerId: c.id }))))
        group.forEach((c, i) => {
          const holder = holders[i]
          if (holder === null || holder === undefined || holder === c.id) claimed.push(c)
          else conflicts.push(new ConflictError(`email ${c.email} is already used by customer ${holder}: bulk load inserted nothing`, holder))
        })
      }),
    )
    const failed = claimResults.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined || conflicts.length > 0) {
      await this.releaseAll(claimed)
      if (failed !== undefined) throw failed.reason
      throw conflicts[0]
    }

    const byShard = groupBy(customers, (c) => this.partition.shardFor(c.id))
    try {
      await Promise.all([...byShard].map(([shard, group]) => this.onShard(shard, (s) => s.insertCustomers(group))))
    } catch (error) {
      await this.releaseAll(customers)
      throw error
    }
    if (this.syncCall !== undefined) {
      for (let i = 0; i < customers.length; i += SYNC_CALL_BATCH)
        await this.syncCall(customers.slice(i, i + SYNC_CALL_BATCH).map((c) => upsertEvent(c, c.createdAt)))
    }
    return customers.map((c) => c.id)
  }

  // ---------------------------------------------------------------- children

  async createContact(customerId: string, input: NewContact): Promise<Contact> {
    const contact: Contact = {
      id: newChildId('con'),
      customerId,
      name: input.name,
      email: input.email,
      phone: input.phone ?? null,
      role: input.role ?? null,
      createdAt: new Date(this.now()).toISOString(),
    }
    return this.insertChild(customerId, contact, (s) => s.insertContact(contact))
  }

  async listContacts(customerId: string, limit: number): Promise<Contact[]> {
    return this.listChildren(customerId, (s) => s.listContacts(customerId, limit))
  }

  async createDeal(customerId: string, input: NewDeal): Promise<Deal> {
    const at = new Date(this.now()).toISOString()
    const deal: Deal = {
      id: newChildId('deal'),
      customerId,
      title: input.title,
      amount: input.amount,
      currency: input.currency ?? 'USD',
      stage: input.stage ?? 'lead',
      createdAt: at,
      updatedAt: at,
    }
    return this.insertChild(customerId, deal, (s) => s.insertDeal(deal))
  }

  async listDeals(customerId: string, limit: number, openOnly: boolean): Promise<Deal[]> {
    return this.listChildren(customerId, (s) => s.listDeals(customerId, limit, openOnly))
  }

  async createActivity(customerId: string, input: NewActivity): Promise<Activity> {
    const createdAt = new Date(this.now()).toISOString()
    const activity: Activity = {
      id: newChildId('act'),
      customerId,
      type: input.type,
      at: input.at === undefined ? createdAt : new Date(Date.parse(input.at)).toISOString(),
      note: input.note ?? '',
      createdAt,
    }
    return this.insertChild(customerId, activity, (s) => s.insertActivity(activity))
  }

  async listActivities(customerId: string, limit: number): Promise<Activity[]> {
    return this.listChildren(customerId, (s) => s.listActivities(customerId, limit))
  }

  // ---------------------------------------------------------------- changes

  /**
   * Customer changes after `cursor` (null: from the start), at most `limit` from each shard, in
   * each shard's order (a customer's changes all come from its shard, so they stay in order).
   * `caughtUp` says no shard had more: a scheduled puller waits for its next turn then.
   */
  async changesSince(cursor: string | null, limit: number): Promise<ChangesPage> {
    const positions: ShardPosition[] = cursor === null ? this.shards.map(() => ({ epoch: '', seq: 0 })) : decodeChangesCursor(cursor, this.shards.length)
    const pages = await Promise.all(
      positions.map((position, shard) =>
        this.onShard(shard, (s) => {
          if (s.changesSince === undefined)
            throw new ValidationError("this CRM's store keeps no change feed: use the embedded store for scheduled-pull and queue-push")
          // A new epoch: the shard started over, so read it from its start.
          return s
            .changesSince(position.epoch === '' ? 0 : position.seq, limit)
            .then((page) => (page.epoch === position.epoch || position.epoch === '' ? page : s.changesSince!(0, limit)))
        }),
      ),
    )
    const items = pages.flatMap((p) => p.items)
    const next = pages.map((p, shard) => ({ epoch: p.epoch, seq: p.items.at(-1)?.seq ?? (p.epoch === positions[shard]!.epoch ? positions[shard]!.seq : 0) }))
    return { items, cursor: encodeChangesCursor(next), caughtUp: pages.every((p, shard) => next[shard]!.seq >= p.head) }
  }

  // ---------------------------------------------------------------- health

  /** Problems that make this replica unable to serve (unreachable shards); empty when ready. */
  async readinessProblems(timeoutMs: number): Promise<string[]> {
    const answers = await Promise.all(this.shards.map((store) => withTimeout(store.ping(), timeoutMs).catch(() => false)))
    return answers.flatMap((ok, shard) => (ok ? [] : [`shard ${shard} does not answer`]))
  }

  // ---------------------------------------------------------------- internals

  private async insertChild<T>(customerId: string, record: T, insert: (s: ShardStore) => Promise<void>): Promise<T> {
    assertCustomerId(customerId)
    const shard = this.partition.shardFor(customerId)
    const customer = await this.onShard(shard, (s) => s.getCustomer(customerId))
    if (customer === null) throw notFound(customerId)
    await this.onShard(shard, insert)
    await this.cache.afterWrite(customer360CacheKey(customerId), null)
    return record
  }

  private async listChildren<T>(customerId: string, list: (s: ShardStore) => Promise<T[]>): Promise<T[]> {
    assertCustomerId(customerId)
    const shard = this.partition.shardFor(customerId)
    const [customer, items] = await Promise.all([this.onShard(shard, (s) => s.getCustomer(customerId)), this.onShard(shard, list)])
    if (customer === null) throw notFound(customerId)
    return items
  }

  private async claimEmailOrThrow(email: string, customerId: string): Promise<void> {
    const holder = await this.onShard(this.partition.shardFor(emailKey(email)), (s) => s.claimEmail(email, customerId))
    if (holder !== null && holder !== customerId) {
      throw new ConflictError(`email ${email} is already used by customer ${holder}: choose another email or update that customer`, holder)
    }
  }

  private async releaseEmailQuietly(email: string, customerId: string): Promise<void> {
    // A claim left behind only blocks that email; it must not turn a finished write into an error.
    await this.onShard(this.partition.shardFor(emailKey(email)), (s) => s.releaseEmail(email, customerId)).catch(() => undefined)
  }

  private async releaseAll(customers: readonly Customer[]): Promise<void> {
    await forEachLimited(customers, RELEASE_CONCURRENCY, (c) => this.releaseEmailQuietly(c.email, c.id))
  }

  /** Every shard call goes through here: metrics, and the shard's overload turned into the domain's. */
  private async onShard<T>(shard: number, call: (store: ShardStore) => Promise<T>): Promise<T> {
    const store = this.shards[shard]
    if (store === undefined) throw new Error(`partition strategy chose shard ${shard} but only ${this.shards.length} exist`)
    const started = performance.now()
    try {
      return await call(store)
    } catch (error) {
      if (error instanceof ShardOverloadedError) {
        throw new OverloadedError(`shard ${shard} is overloaded: retry later`, error.retryAfterSeconds, `shard-${shard}`)
      }
      if (error instanceof ShardUnavailableError) throw new UnavailableError(`shard ${shard} is unavailable: ${error.message}`, `shard-${shard}`)
      throw error
    } finally {
      this.observer?.onShardCall(shard, (performance.now() - started) / 1000)
    }
  }
}

/** A string that is not a customer id names no customer: 404 without asking a shard. */
function assertCustomerId(id: string): void {
  if (customerIdTimeMs(id) === null) throw notFound(id.length > 64 ? `${id.slice(0, 64)}...` : id)
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`customer ${id} does not exist`)
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>()
  for (const item of items) {
    const key = keyOf(item)
    let group = groups.get(key)
    if (group === undefined) groups.set(key, (group = []))
    group.push(item)
  }
  return groups
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      // In range: `next` was checked just above, and nothing else runs between the check and this read.
      const item = items[next++] as T
      await work(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
