import type { Activity, Contact, Customer, Deal } from '../domain/records.js'
import type { ChangePage } from '../sync/change-event.js'

// One shard's storage. A replica holds one ShardStore per shard and picks which one through the
// partition strategy; the store itself knows nothing about partitioning. Implementations: the
// embedded shard server (reached over HTTP by ShardClient) and PostgreSQL (one database a shard).

/** Cursor position in the (nameKey, id) order used by prefix search; nameKey is the lower-cased name. */
export interface SearchPosition {
  nameKey: string
  id: string
}

export interface SearchPage {
  /** At most `limit` customers whose name or email starts with the prefix, in (nameKey, id) order, after `after`. */
  items: Customer[]
}

/** One email reservation in a bulk claim (seeding). */
export interface EmailClaim {
  email: string
  customerId: string
}

export type CustomerPatch = Partial<Pick<Customer, 'name' | 'email' | 'company' | 'segment'>>

export interface ShardStore {
  /** Called once before first use (connects, creates schema). */
  init(): Promise<void>
  /** Called on shutdown. */
  close(): Promise<void>
  /** Called by the replica's /ready: resolves true when the shard answers, false (never throws) when it does not. */
  ping(): Promise<boolean>

  /**
   * Reserve `email` for `customerId` (case-insensitive). Returns the id already holding it when
   * taken, else null. Called on the shard the partition strategy picks for `email:<email>`, so
   * uniqueness holds across shards without a global lock.
   */
  claimEmail(email: string, customerId: string): Promise<string | null>
  /**
   * Bulk `claimEmail` for seeding (one round trip for thousands): element i is the id already
   * holding claims[i].email, or null when claimed now. A later duplicate in the same call is
   * reported as held by the earlier one's customerId.
   */
  claimEmails(claims: EmailClaim[]): Promise<(string | null)[]>
  /** Release a claim (after a failed create, an email change or a delete). No-op if not held by customerId. */
  releaseEmail(email: string, customerId: string): Promise<void>

  insertCustomer(c: Customer): Promise<void>
  /** Many at once, for seeding: the fast path. Emails must already be unique. */
  insertCustomers(cs: Customer[]): Promise<void>
  getCustomer(id: string): Promise<Customer | null>
  /** Applies the patch, bumps version and updatedAt; null when the id is unknown. */
  updateCustomer(id: string, patch: CustomerPatch, now: string): Promise<Customer | null>
  /** Deletes the customer and its children; false when unknown. */
  deleteCustomer(id: string): Promise<boolean>
  searchCustomers(prefix: string, limit: number, after: SearchPosition | null): Promise<SearchPage>
  countCustomers(): Promise<number>

  insertContact(c: Contact): Promise<void>
  listContacts(customerId: string, limit: number): Promise<Contact[]>
  insertDeal(d: Deal): Promise<void>
  /** Newest first. `openOnly` keeps the OPEN_DEAL_STAGES. */
  listDeals(customerId: string, limit: number, openOnly: boolean): Promise<Deal[]>
  insertActivity(a: Activity): Promise<void>
  /** Newest `at` first. */
  listActivities(customerId: string, limit: number): Promise<Activity[]>

  /**
   * Customer changes after feed position `afterSeq` (the shard's outbox), oldest first, at most
   * `limit`. Called by the CRM's changes endpoint (scheduled pull). Only stores with a change feed
   * have it (the embedded shard); the others cannot serve the sync strategies that read it.
   */
  changesSince?(afterSeq: number, limit: number): Promise<ChangePage>
}

/** A store whose change feed can be followed as it grows: what the outbox publisher needs. */
export interface ChangeFeedSource {
  changesSince(afterSeq: number, limit: number): Promise<ChangePage>
  /** The newest position in the feed (applied, maybe not yet durable): the publisher's backlog gauge. */
  feedHead(): number
  /** Called by the publisher to be woken when a change is appended; returns the unsubscribe function. */
  onChange(listener: () => void): () => void
}

export function isChangeFeedSource(store: object): store is ChangeFeedSource {
  return (
    typeof (store as Partial<ChangeFeedSource>).changesSince === 'function' &&
    typeof (store as Partial<ChangeFeedSource>).onChange === 'function' &&
    typeof (store as Partial<ChangeFeedSource>).feedHead === 'function'
  )
}
