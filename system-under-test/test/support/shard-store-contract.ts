import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { newChildId, newCustomerId } from '../../src/domain/customer-id.js'
import type { Activity, Contact, Customer, Deal, DealStage, Segment } from '../../src/domain/records.js'
import { DuplicateCustomerIdError, UnknownCustomerError } from '../../src/storage/shard-errors.js'
import type { ShardStore } from '../../src/storage/shard-store.js'

// The behaviour every ShardStore must show, run against each implementation (in-memory, over the
// shard server's HTTP, PostgreSQL) so the replica cannot tell them apart. `fresh` gives an empty
// store for each test; `cleanup` runs once at the end.

export interface ContractTarget {
  /** Called before each test: an initialised, empty store. */
  fresh(): Promise<ShardStore>
  /** Called after all tests of the target. */
  cleanup?(): Promise<void>
}

const BASE = Date.UTC(2026, 0, 1)
const iso = (ms: number): string => new Date(ms).toISOString()
let seq = 0

export function customer(name: string, email: string, extra: Partial<Customer> = {}): Customer {
  const created = BASE + ++seq * 1000
  return {
    id: newCustomerId(created),
    name,
    email,
    company: 'Acme',
    segment: 'smb' as Segment,
    createdAt: iso(created),
    updatedAt: iso(created),
    version: 1,
    ...extra,
  }
}

/** The order search must return: lower-cased name, then id, in code units. */
function expectedOrder(cs: Customer[], prefix: string): string[] {
  const p = prefix.toLowerCase()
  return cs
    .filter((c) => c.name.toLowerCase().startsWith(p) || c.email.toLowerCase().startsWith(p))
    .map((c) => ({ k: c.name.toLowerCase(), id: c.id }))
    .sort((a, b) => (a.k !== b.k ? (a.k < b.k ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((x) => x.id)
}

async function pageThrough(store: ShardStore, prefix: string, pageSize: number): Promise<string[][]> {
  const pages: string[][] = []
  let after = null
  for (let guard = 0; guard < 1000; guard++) {
    const { items } = await store.searchCustomers(prefix, pageSize, after)
    if (items.length === 0) break
    pages.push(items.map((c) => c.id))
    const last = items[items.length - 1]!
    after = { nameKey: last.name.toLowerCase(), id: last.id }
    if (items.length < pageSize) break
  }
  return pages
}

/** A deterministic pseudo-random generator, so a failing data set can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

export function shardStoreContract(label: string, target: ContractTarget): void {
  describe(`ShardStore contract: ${label}`, () => {
    let store: ShardStore
    beforeEach(async () => {
      store = await target.fresh()
    })
    afterAll(async () => {
      await target.cleanup?.()
    })

    it('answers ping', async () => {
      expect(await store.ping()).toBe(true)
    })

    it('stores and returns a customer unchanged, and null for an unknown id', async () => {
      const c = customer('Ada Lovelace', 'ada@example.com', { segment: 'enterprise', company: 'Analytical Engines Ltd' })
      await store.insertCustomer(c)
      expect(await store.getCustomer(c.id)).toEqual(c)
      expect(await store.getCustomer(newCustomerId(BASE))).toBeNull()
      expect(await store.countCustomers()).toBe(1)
    })

    it('refuses a second customer with the same id', async () => {
      const c = customer('Dup', 'dup@example.com')
      await store.insertCustomer(c)
      await expect(store.insertCustomer({ ...c, email: 'other@example.com' })).rejects.toBeInstanceOf(DuplicateCustomerIdError)
      expect(await store.countCustomers()).toBe(1)
    })

    it('claims emails case-insensitively and tells who holds them', async () => {
      const a = newCustomerId(BASE + 1)
      const b = newCustomerId(BASE + 2)
      expect(await store.claimEmail('Grace@Example.com', a)).toBeNull()
      expect(await store.claimEmail('grace@example.COM', b)).toBe(a)
      // Claiming again for the holder is fine (retries are safe).
      expect(await store.claimEmail('GRACE@example.com', a)).toBeNull()
      // Only the holder can release.
      await store.releaseEmail('grace@example.com', b)
      expect(await store.claimEmail('grace@example.com', b)).toBe(a)
      await store.releaseEmail('GRACE@EXAMPLE.COM', a)
      expect(await store.claimEmail('grace@example.com', b)).toBeNull()
    })

    it('claims emails in bulk, reporting each one already held', async () => {
      const [a, b, c] = [newCustomerId(BASE + 1), newCustomerId(BASE + 2), newCustomerId(BASE + 3)]
      expect(await store.claimEmail('taken@x.io', a)).toBeNull()
      const result = await store.claimEmails([
        { email: 'free@x.io', customerId: b },
        { email: 'TAKEN@x.io', customerId: b },
        { email: 'Free@X.io', customerId: c },
      ])
      expect(result).toEqual([null, a, b])
      expect(await store.claimEmails([])).toEqual([])
    })

    it('updates atomically: applies the patch, bumps version and updatedAt, reindexes name and email', async () => {
      const c = customer('Old Name', 'old@example.com')
      await store.insertCustomer(c)
      const now = iso(BASE + 10_000_000)
      const updated = await store.updateCustomer(c.id, { name: 'New Name', email: 'new@example.com' }, now)
      expect(updated).toEqual({ ...c, name: 'New Name', email: 'new@example.com', updatedAt: now, version: 2 })
      expect(await store.getCustomer(c.id)).toEqual(updated)
      const again = await store.updateCustomer(c.id, { segment: 'mid-market' }, now)
      expect(again?.version).toBe(3)
      expect(again?.name).toBe('New Name')
      expect((await store.searchCustomers('old', 10, null)).items).toEqual([])
      expect((await store.searchCustomers('new', 10, null)).items.map((x) => x.id)).toEqual([c.id])
      expect(await store.updateCustomer(newCustomerId(BASE), { name: 'x' }, now)).toBeNull()
    })

    it('counts concurrent updates without losing one', async () => {
      const c = customer('Counter', 'counter@example.com')
      await store.insertCustomer(c)
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.updateCustomer(c.id, { company: `C${i}` }, iso(BASE + i))))
      expect((await store.getCustomer(c.id))?.version).toBe(21)
    })

    it('deletes a customer with its children', async () => {
      const c = customer('Gone Soon', 'gone@example.com')
      await store.insertCustomer(c)
      await store.insertContact(contactOf(c.id, BASE))
      expect(await store.deleteCustomer(c.id)).toBe(true)
      expect(await store.getCustomer(c.id)).toBeNull()
      expect(await store.listContacts(c.id, 10)).toEqual([])
      expect((await store.searchCustomers('gone', 10, null)).items).toEqual([])
      expect(await store.deleteCustomer(c.id)).toBe(false)
      expect(await store.countCustomers()).toBe(0)
    })

    it('finds customers by name or email prefix, case-insensitively, in (lower name, id) order', async () => {
      const same1 = customer('Alice Smith', 'a.smith@example.com')
      const same2 = customer('ALICE SMITH', 'asmith2@example.com')
      const cs = [
        customer('Alicia Keys', 'keys@example.com'),
        same2,
        customer('Bob Alison', 'ALI.bob@example.com'),
        customer('Zara Ali', 'zara@example.com'),
        same1,
        customer('Al', 'al@example.com'),
        customer('alfred', 'fred@example.com'),
      ]
      for (const c of cs) await store.insertCustomer(c)
      const { items } = await store.searchCustomers('ALI', 10, null)
      expect(items.map((c) => c.id)).toEqual(expectedOrder(cs, 'ali'))
      expect(items.map((c) => c.name)).toContain('Bob Alison')
      expect(items.map((c) => c.name)).not.toContain('Zara Ali')
      expect(items.map((c) => c.name)).not.toContain('Al')
      expect(items[0]).toEqual(cs.find((c) => c.id === items[0]!.id))
      expect((await store.searchCustomers('ali', 2, null)).items).toHaveLength(2)
      expect((await store.searchCustomers('nobody', 10, null)).items).toEqual([])
    })

    it('treats LIKE wildcards and backslashes in the prefix literally', async () => {
      const cs = [
        customer('100% Cotton', 'cotton@x.io'),
        customer('100 Percent', 'p@x.io'),
        customer('a_b', 'ab@x.io'),
        customer('axb', 'axb@x.io'),
        customer('c\\d', 'cd@x.io'),
      ]
      for (const c of cs) await store.insertCustomer(c)
      expect((await store.searchCustomers('100%', 10, null)).items.map((c) => c.name)).toEqual(['100% Cotton'])
      expect((await store.searchCustomers('a_', 10, null)).items.map((c) => c.name)).toEqual(['a_b'])
      expect((await store.searchCustomers('c\\', 10, null)).items.map((c) => c.name)).toEqual(['c\\d'])
    })

    it('pages through every match exactly once with the cursor', async () => {
      const random = rng(42)
      const first = ['ann', 'Anna', 'anne', 'ANTON', 'andy', 'bo', 'Ana', 'an']
      const cs: Customer[] = []
      for (let i = 0; i < 150; i++) {
        const name = `${first[Math.floor(random() * first.length)]} ${i % 7}`
        const email = random() < 0.3 ? `an.${i}@example.com` : `u${i}@example.com`
        cs.push(customer(name, email))
      }
      await store.insertCustomers(cs)
      for (const [prefix, size] of [
        ['an', 7],
        ['ANN', 4],
        ['an.', 5],
        ['b', 3],
      ] as const) {
        const pages = await pageThrough(store, prefix, size)
        for (const page of pages.slice(0, -1)) expect(page).toHaveLength(size)
        expect(pages.flat()).toEqual(expectedOrder(cs, prefix))
      }
    })

    it('inserts a bulk of customers in one call, all readable and searchable', async () => {
      const cs = Array.from({ length: 1000 }, (_, i) => customer(`Bulk ${String(i).padStart(4, '0')}`, `bulk${i}@example.com`))
      await store.insertCustomers(cs)
      expect(await store.countCustomers()).toBe(1000)
      expect(await store.getCustomer(cs[777]!.id)).toEqual(cs[777])
      expect((await store.searchCustomers('bulk 099', 20, null)).items.map((c) => c.name)).toEqual(Array.from({ length: 10 }, (_, i) => `Bulk 099${i}`))
      await store.insertCustomers([])
      expect(await store.countCustomers()).toBe(1000)
    })

    it('lists contacts newest first, up to the limit', async () => {
      const c = customer('Parent', 'parent@example.com')
      await store.insertCustomer(c)
      const contacts = [3, 1, 2].map((k) => contactOf(c.id, BASE + k * 1000))
      for (const x of contacts) await store.insertContact(x)
      expect((await store.listContacts(c.id, 10)).map((x) => x.createdAt)).toEqual([3, 2, 1].map((k) => iso(BASE + k * 1000)))
      expect(await store.listContacts(c.id, 2)).toEqual([contacts[0], contacts[2]])
      expect(await store.listContacts(newCustomerId(BASE), 10)).toEqual([])
    })

    it('lists deals newest first, and only open ones when asked', async () => {
      const c = customer('Dealer', 'dealer@example.com')
      await store.insertCustomer(c)
      const stages: DealStage[] = ['lead', 'won', 'proposal', 'lost', 'negotiation']
      const deals = stages.map((stage, i) => dealOf(c.id, BASE + i * 1000, stage))
      for (const d of deals) await store.insertDeal(d)
      expect((await store.listDeals(c.id, 10, false)).map((d) => d.stage)).toEqual(['negotiation', 'lost', 'proposal', 'won', 'lead'])
      expect(await store.listDeals(c.id, 10, true)).toEqual([deals[4], deals[2], deals[0]])
      expect((await store.listDeals(c.id, 2, true)).map((d) => d.stage)).toEqual(['negotiation', 'proposal'])
    })

    it('lists activities by when they happened, newest first', async () => {
      const c = customer('Busy', 'busy@example.com')
      await store.insertCustomer(c)
      // Logged in one order, happened in another.
      const acts = [BASE + 5000, BASE - 86_400_000, BASE + 9000].map((at) => activityOf(c.id, at))
      for (const a of acts) await store.insertActivity(a)
      expect(await store.listActivities(c.id, 10)).toEqual([acts[2], acts[0], acts[1]])
      expect(await store.listActivities(c.id, 1)).toEqual([acts[2]])
    })

    it('refuses children for a customer it does not hold', async () => {
      const missing = newCustomerId(BASE)
      await expect(store.insertContact(contactOf(missing, BASE))).rejects.toBeInstanceOf(UnknownCustomerError)
      await expect(store.insertDeal(dealOf(missing, BASE, 'lead'))).rejects.toBeInstanceOf(UnknownCustomerError)
      await expect(store.insertActivity(activityOf(missing, BASE))).rejects.toBeInstanceOf(UnknownCustomerError)
    })
  })
}

function contactOf(customerId: string, createdMs: number): Contact {
  return {
    id: newChildId('con', createdMs),
    customerId,
    name: 'Contact',
    email: `c${createdMs}@example.com`,
    phone: null,
    role: 'cto',
    createdAt: iso(createdMs),
  }
}

function dealOf(customerId: string, createdMs: number, stage: DealStage): Deal {
  return {
    id: newChildId('deal', createdMs),
    customerId,
    title: `Deal ${stage}`,
    amount: 1234.5,
    currency: 'EUR',
    stage,
    createdAt: iso(createdMs),
    updatedAt: iso(createdMs),
  }
}

function activityOf(customerId: string, atMs: number): Activity {
  return { id: newChildId('act'), customerId, type: 'call', at: iso(atMs), note: `at ${atMs}`, createdAt: iso(BASE) }
}
