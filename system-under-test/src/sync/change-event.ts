import { z } from 'zod'
import { SEGMENTS, type Customer } from '../domain/records.js'

// What the CRM tells other systems about a customer: the whole record after a change (or a
// tombstone after a delete), tagged with its version. Receivers apply an event only when its
// version is newer than what they hold, so events may arrive twice or out of order (at-least-once
// delivery, several publishers) and the receiver still ends with the newest record.

export interface ChangeEvent {
  /** The customer's id (its partition key). */
  id: string
  /** The record's version after the change; a delete's tombstone has the last version + 1. */
  version: number
  op: 'upsert' | 'delete'
  /** The record after the change; null for a delete. */
  customer: Customer | null
  /** When the change was applied to the CRM's store (ISO 8601). */
  at: string
}

/** A change as kept in a shard's change feed (the outbox): its position in that feed. */
export interface FeedEntry extends ChangeEvent {
  seq: number
}

/** One read of a shard's change feed. */
export interface ChangePage {
  /** Identifies this life of the feed: a new epoch means the shard started over, positions restart at 0. */
  epoch: string
  /** Changes with seq > the position asked for, oldest first. */
  items: FeedEntry[]
  /** The newest seq in the feed (0 when empty). */
  head: number
}

const customerSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().max(10_000),
  email: z.string().max(10_000),
  company: z.string().max(10_000),
  segment: z.enum(SEGMENTS),
  createdAt: z.string().max(64),
  updatedAt: z.string().max(64),
  version: z.number().int().min(1),
})

/** Validates a change event where it enters another process (downstream's API, a broker message). */
export const changeEventSchema = z.object({
  id: z.string().min(1).max(200),
  version: z.number().int().min(1),
  op: z.enum(['upsert', 'delete']),
  customer: customerSchema.nullable(),
  at: z.string().max(64),
})

export function upsertEvent(customer: Customer, at: string): ChangeEvent {
  return { id: customer.id, version: customer.version, op: 'upsert', customer: { ...customer }, at }
}

export function deleteEvent(id: string, lastVersion: number, at: string): ChangeEvent {
  return { id, version: lastVersion + 1, op: 'delete', customer: null, at }
}
