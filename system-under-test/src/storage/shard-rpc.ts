import { z } from 'zod'
import { ACTIVITY_TYPES, DEAL_STAGES, SEGMENTS } from '../domain/records.js'
import type { ShardStore } from './shard-store.js'

// The wire protocol between ShardClient and the embedded shard server: one POST /rpc/<op> per
// ShardStore method, body `{"args": [...]}` in the method's parameter order, answer
// `{"result": ...}`, or `{"error": {"code", "message", "id"?}}` with a 4xx/5xx status. The server
// validates every body against these schemas (it is the boundary); the client trusts answers from
// the server built from this same module, which keeps zod off the replica's hot path.

/** The ShardStore methods reachable over RPC (init, close and ping are local or plain GETs). */
export const RPC_OPS = [
  'claimEmail',
  'claimEmails',
  'releaseEmail',
  'insertCustomer',
  'insertCustomers',
  'getCustomer',
  'updateCustomer',
  'deleteCustomer',
  'searchCustomers',
  'countCustomers',
  'insertContact',
  'listContacts',
  'insertDeal',
  'listDeals',
  'insertActivity',
  'listActivities',
  'changesSince',
] as const satisfies readonly (keyof ShardStore)[]
export type RpcOp = (typeof RPC_OPS)[number]

/** Bulk calls carry at most this many records (the replica's bulk endpoint sends <= 5000). */
export const MAX_BULK = 10_000
/** Largest request body the server reads: a full bulk of customers with room to spare. */
export const MAX_RPC_BODY_BYTES = 32 * 1024 * 1024

const id = z.string().min(1).max(200)
const text = z.string().max(10_000)
const timestamp = z.string().min(1).max(64)
const limit = z.number().int().min(0).max(10_000)

const customer = z.object({
  id,
  name: text,
  email: text,
  company: text,
  segment: z.enum(SEGMENTS),
  createdAt: timestamp,
  updatedAt: timestamp,
  version: z.number().int().min(1),
})
const contact = z.object({
  id,
  customerId: id,
  name: text,
  email: text,
  phone: text.nullable(),
  role: text.nullable(),
  createdAt: timestamp,
})
const deal = z.object({
  id,
  customerId: id,
  title: text,
  amount: z.number().finite(),
  currency: z.string().max(16),
  stage: z.enum(DEAL_STAGES),
  createdAt: timestamp,
  updatedAt: timestamp,
})
const activity = z.object({
  id,
  customerId: id,
  type: z.enum(ACTIVITY_TYPES),
  at: timestamp,
  note: text,
  createdAt: timestamp,
})
const patch = z.object({
  name: text.optional(),
  email: text.optional(),
  company: text.optional(),
  segment: z.enum(SEGMENTS).optional(),
})
const position = z.object({ nameKey: text, id }).nullable()

/** Argument tuples per op, in the ShardStore method's parameter order. */
export const RPC_ARGS = {
  claimEmail: z.tuple([text, id]),
  claimEmails: z.tuple([z.array(z.object({ email: text, customerId: id })).max(MAX_BULK)]),
  releaseEmail: z.tuple([text, id]),
  insertCustomer: z.tuple([customer]),
  insertCustomers: z.tuple([z.array(customer).max(MAX_BULK)]),
  getCustomer: z.tuple([id]),
  updateCustomer: z.tuple([id, patch, timestamp]),
  deleteCustomer: z.tuple([id]),
  searchCustomers: z.tuple([text, limit, position]),
  countCustomers: z.tuple([]),
  insertContact: z.tuple([contact]),
  listContacts: z.tuple([id, limit]),
  insertDeal: z.tuple([deal]),
  listDeals: z.tuple([id, limit, z.boolean()]),
  insertActivity: z.tuple([activity]),
  listActivities: z.tuple([id, limit]),
  changesSince: z.tuple([z.number().int().min(0), limit]),
} satisfies Record<RpcOp, z.ZodType<unknown[]>>

export const rpcBodySchema = z.object({ args: z.array(z.unknown()) })

/** Error codes on the wire, mapped back to the same error classes by ShardClient. */
export interface RpcErrorBody {
  error: { code: string; message: string; id?: string; details?: { field: string; message: string }[] }
}
