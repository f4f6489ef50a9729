import { OPEN_DEAL_STAGES, type Activity, type Contact, type Customer, type Deal } from '../domain/records.js'
import { deleteEvent, upsertEvent, type ChangePage } from '../sync/change-event.js'
import { ChangeFeed } from '../sync/change-feed.js'
import { DuplicateCustomerIdError, UnknownCustomerError } from './shard-errors.js'
import type { ChangeFeedSource, CustomerPatch, EmailClaim, SearchPage, SearchPosition, ShardStore } from './shard-store.js'
import { compareKeyId, SortedKeyIndex } from './sorted-key-index.js'

// One shard held in memory: what the embedded shard server serves, and the reference behaviour
// the PostgreSQL store is tested against. Every query is answered from an index: customers by id,
// email claims by lower-cased email, children per customer kept in time order, and two sorted
// (key, id) indexes for prefix search by lower-cased name and by lower-cased email.
// Records are copied in and out, so a caller mutating what it got cannot corrupt the shard.
// Every customer change is also appended to the change feed (the outbox) in the same step.

interface CustomerRow {
  customer: Customer
  nameKey: string
  emailKey: string
}

/** A child record with its numeric sort time (createdAt, or `at` for activities). */
interface Timed<T> {
  t: number
  id: string
  record: T
}

interface Children {
  contacts: Timed<Contact>[]
  deals: Timed<Deal>[]
  activities: Timed<Activity>[]
}

const OPEN_STAGES = new Set<string>(OPEN_DEAL_STAGES)

/** Inserts keeping (t, id) ascending; children mostly arrive newest last, so search from the end. */
function insertTimed<T>(list: Timed<T>[], item: Timed<T>): void {
  let at = list.length
  while (at > 0) {
    const before = list[at - 1]!
    if (before.t < item.t || (before.t === item.t && before.id <= item.id)) break
    at--
  }
  list.splice(at, 0, item)
}

/** Newest first, at most `limit`, optionally filtered. */
function newestFirst<T>(list: Timed<T>[] | undefined, limit: number, keep?: (r: T) => boolean): T[] {
  const out: T[] = []
  if (list === undefined) return out
  for (let i = list.length - 1; i >= 0 && out.length < limit; i--) {
    const r = list[i]!.record
    if (keep === undefined || keep(r)) out.push({ ...r })
  }
  return out
}

function timeOf(iso: string): number {
  const t = Date.parse(iso)
  return Number.isNaN(t) ? 0 : t
}

export class MemoryShardStore implements ShardStore, ChangeFeedSource {
  /** The shard's outbox: every customer change in the order applied. */
  readonly changes = new ChangeFeed()
  private readonly customers = new Map<string, CustomerRow>()
  private readonly claims = new Map<string, string>()
  private readonly children = new Map<string, Children>()
  private readonly byName = new SortedKeyIndex()
  private readonly byEmail = new SortedKeyIndex()

  async init(): Promise<void> {}

  async close(): Promise<void> {}

  async ping(): Promise<boolean> {
    return true
  }

  async claimEmail(email: string, customerId: string): Promise<string | null> {
    return this.claimOne(email, customerId)
  }

  async claimEmails(claims: EmailClaim[]): Promise<(string | null)[]> {
    return claims.map((c) => this.claimOne(c.email, c.customerId))
  }

  async releaseEmail(email: string, customerId: string): Promise<void> {
    const key = email.toLowerCase()
    if (this.claims.get(key) === customerId) this.claims.delete(key)
  }

  async insertCustomer(c: Customer): Promise<void> {
    if (this.customers.has(c.id)) throw new DuplicateCustomerIdError(c.id)
    const row = this.rowOf(c)
    this.customers.set(c.id, row)
    this.byName.insert(row.nameKey, c.id)
    this.byEmail.insert(row.emailKey, c.id)
    this.changes.append(upsertEvent(c, c.updatedAt))
  }

  async insertCustomers(cs: Customer[]): Promise<void> {
    // Check everything first, so a bad batch leaves the shard unchanged.
    const batchIds = new Set<string>()
    for (const c of cs) {
      if (this.customers.has(c.id) || batchIds.has(c.id)) throw new DuplicateCustomerIdError(c.id)
      batchIds.add(c.id)
    }
    const names: { key: string; id: string }[] = []
    const emails: { key: string; id: string }[] = []
    for (const c of cs) {
      const row = this.rowOf(c)
      this.customers.set(c.id, row)
      names.push({ key: row.nameKey, id: c.id })
      emails.push({ key: row.emailKey, id: c.id })
    }
    this.byName.insertMany(names)
    this.byEmail.insertMany(emails)
    for (const c of cs) this.changes.append(upsertEvent(c, c.updatedAt))
  }

  async getCustomer(id: string): Promise<Customer | null> {
    const row = this.customers.get(id)
    return row === undefined ? null : { ...row.customer }
  }

  async updateCustomer(id: string, patch: CustomerPatch, now: string): Promise<Customer | null> {
    const row = this.customers.get(id)
    if (row === undefined) return null
    const c = row.customer
    const next: Customer = {
      ...c,
      name: patch.name ?? c.name,
      email: patch.email ?? c.email,
      company: patch.company ?? c.company,
      segment: patch.segment ?? c.segment,
      updatedAt: now,
      version: c.version + 1,
    }
    const nameKey = next.name.toLowerCase()
    const emailKey = next.email.toLowerCase()
    if (nameKey !== row.nameKey) {
      this.byName.remove(row.nameKey, id)
      this.byName.insert(nameKey, id)
    }
    if (emailKey !== row.emailKey) {
      this.byEmail.remove(row.emailKey, id)
      this.byEmail.insert(emailKey, id)
    }
    this.customers.set(id, { customer: next, nameKey, emailKey })
    this.changes.append(upsertEvent(next, now))
    return { ...next }
  }

  async deleteCustomer(id: string): Promise<boolean> {
    const row = this.customers.get(id)
    if (row === undefined) return false
    this.customers.delete(id)
    this.byName.remove(row.nameKey, id)
    this.byEmail.remove(row.emailKey, id)
    this.children.delete(id)
    // The tombstone outranks every version the record had, so a late upsert cannot revive it downstream.
    this.changes.append(deleteEvent(id, row.customer.version, new Date().toISOString()))
    return true
  }

  /**
   * Name matches come in (nameKey, id) order straight from the name index, starting after the
   * cursor. Email matches are in email order, so the email index's prefix range is walked for
   * those whose name does not match too (and lie after the cursor), keeping the best `limit`,
   * which are merged in. Cost follows the number of matches, never the shard size.
   */
  async searchCustomers(prefix: string, limit: number, after: SearchPosition | null): Promise<SearchPage> {
    if (limit <= 0) return { items: [] }
    const p = prefix.toLowerCase()
    const isAfter = (row: CustomerRow): boolean => after === null || compareKeyId(row.nameKey, row.customer.id, after.nameKey, after.id) > 0

    const byName: CustomerRow[] = []
    let i = this.byName.lowerBound(p, '')
    if (after !== null) i = Math.max(i, this.byName.upperBound(after.nameKey, after.id))
    for (; i < this.byName.size && byName.length < limit; i++) {
      if (!this.byName.keyAt(i).startsWith(p)) break
      byName.push(this.customers.get(this.byName.idAt(i)) as CustomerRow)
    }

    // Only the best `limit` email-only matches can make the page, and none after the last name
    // match when the name walk already filled it: keep a small sorted top-k instead of sorting all.
    const byEmailOnly: CustomerRow[] = []
    const cmp = (x: CustomerRow, y: CustomerRow): number => compareKeyId(x.nameKey, x.customer.id, y.nameKey, y.customer.id)
    const bound = byName.length === limit ? byName[limit - 1]! : null
    // With an empty prefix every name matches, so the email index has nothing to add.
    if (p !== '') {
      for (let j = this.byEmail.lowerBound(p, ''); j < this.byEmail.size; j++) {
        if (!this.byEmail.keyAt(j).startsWith(p)) break
        const row = this.customers.get(this.byEmail.idAt(j)) as CustomerRow
        if (row.nameKey.startsWith(p) || !isAfter(row)) continue
        if (bound !== null && cmp(row, bound) >= 0) continue
        if (byEmailOnly.length === limit && cmp(row, byEmailOnly[limit - 1]!) >= 0) continue
        let at = byEmailOnly.length
        while (at > 0 && cmp(byEmailOnly[at - 1]!, row) > 0) at--
        byEmailOnly.splice(at, 0, row)
        if (byEmailOnly.length > limit) byEmailOnly.pop()
      }
    }

    const items: Customer[] = []
    let a = 0
    let b = 0
    while (items.length < limit) {
      const byNameRow = byName[a]
      const byEmailRow = byEmailOnly[b]
      if (byNameRow === undefined && byEmailRow === undefined) break
      const takeName = byEmailRow === undefined || (byNameRow !== undefined && cmp(byNameRow, byEmailRow) < 0)
      items.push({ ...(takeName ? byName[a++]! : byEmailOnly[b++]!).customer })
    }
    return { items }
  }

  async countCustomers(): Promise<number> {
    return this.customers.size
  }

  async insertContact(c: Contact): Promise<void> {
    insertTimed(this.childrenOf(c.customerId).contacts, { t: timeOf(c.createdAt), id: c.id, record: { ...c } })
  }

  async listContacts(customerId: string, limit: number): Promise<Contact[]> {
    return newestFirst(this.children.get(customerId)?.contacts, limit)
  }

  async insertDeal(d: Deal): Promise<void> {
    insertTimed(this.childrenOf(d.customerId).deals, { t: timeOf(d.createdAt), id: d.id, record: { ...d } })
  }

  async listDeals(customerId: string, limit: number, openOnly: boolean): Promise<Deal[]> {
    return newestFirst(this.children.get(customerId)?.deals, limit, openOnly ? (d) => OPEN_STAGES.has(d.stage) : undefined)
  }

  async insertActivity(a: Activity): Promise<void> {
    insertTimed(this.childrenOf(a.customerId).activities, { t: timeOf(a.at), id: a.id, record: { ...a } })
  }

  async listActivities(customerId: string, limit: number): Promise<Activity[]> {
    return newestFirst(this.children.get(customerId)?.activities, limit)
  }

  async changesSince(afterSeq: number, limit: number): Promise<ChangePage> {
    return this.changes.page(afterSeq, limit)
  }

  feedHead(): number {
    return this.changes.head
  }

  onChange(listener: () => void): () => void {
    return this.changes.onAppend(listener)
  }

  private claimOne(email: string, customerId: string): string | null {
    const key = email.toLowerCase()
    const holder = this.claims.get(key)
    if (holder === undefined) {
      this.claims.set(key, customerId)
      return null
    }
    return holder === customerId ? null : holder
  }

  private rowOf(c: Customer): CustomerRow {
    return { customer: { ...c }, nameKey: c.name.toLowerCase(), emailKey: c.email.toLowerCase() }
  }

  /** Children of a customer this shard holds; a child for an unknown customer is refused like a foreign key would. */
  private childrenOf(customerId: string): Children {
    if (!this.customers.has(customerId)) throw new UnknownCustomerError(customerId)
    let kids = this.children.get(customerId)
    if (kids === undefined) this.children.set(customerId, (kids = { contacts: [], deals: [], activities: [] }))
    return kids
  }
}
