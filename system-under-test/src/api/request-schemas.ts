import { z } from 'zod'
import { ACTIVITY_TYPES, DEAL_STAGES, SEGMENTS } from '../domain/records.js'

// Every request body and query the API accepts, validated once at the boundary. Bodies are strict:
// an unknown field is a 400 naming it (a typo like `segement` must not be silently dropped).
// Query strings ignore unknown parameters, as caches and proxies add their own.

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`)
const email = z.email('must be an email address like name@example.com').max(254, 'must be at most 254 characters')
const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time like 2026-01-31T12:00:00Z' })

export const newCustomerSchema = z.strictObject({
  name: text(200),
  email,
  company: text(200),
  segment: z.enum(SEGMENTS, { message: `must be one of ${SEGMENTS.join(', ')}` }),
})

export const customerPatchSchema = newCustomerSchema
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'give at least one of name, email, company, segment' })

// A seeded customer's id encodes its createdAt as milliseconds since 1970 (customer-id.ts), so
// earlier dates cannot be stored.
const seedCreatedAt = isoDate.refine(
  (text) => Date.parse(text) >= 0,
  'must be 1970-01-01T00:00:00Z or later (customer ids encode the creation time from 1970 on)',
)

export const seedCustomerSchema = newCustomerSchema.extend({ createdAt: seedCreatedAt })

export const BULK_MAX_CUSTOMERS = 5000
export const bulkCustomersSchema = z.strictObject({
  customers: z.array(seedCustomerSchema).min(1, 'give at least one customer').max(BULK_MAX_CUSTOMERS, `at most ${BULK_MAX_CUSTOMERS} customers per call`),
})

export const slowdownSchema = z.strictObject({
  factor: z.number({ message: 'must be a number' }).positive('must be > 0 (1 = normal speed)').max(1000, 'must be at most 1000'),
})

export const newContactSchema = z.strictObject({
  name: text(200),
  email,
  phone: z.string().max(50, 'must be at most 50 characters').nullable().optional(),
  role: z.string().max(100, 'must be at most 100 characters').nullable().optional(),
})

export const newDealSchema = z.strictObject({
  title: text(200),
  amount: z.number({ message: 'must be a number' }).finite().nonnegative('must be >= 0'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code like USD')
    .optional(),
  stage: z.enum(DEAL_STAGES, { message: `must be one of ${DEAL_STAGES.join(', ')}` }).optional(),
})

export const newActivitySchema = z.strictObject({
  type: z.enum(ACTIVITY_TYPES, { message: `must be one of ${ACTIVITY_TYPES.join(', ')}` }),
  at: isoDate.optional(),
  note: z.string().max(4000, 'must be at most 4000 characters').optional(),
})

const limit = (max: number, fallback: number) =>
  z.coerce
    .number({ message: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`)
    .default(fallback)

export const searchQuerySchema = z.object({
  q: z.string({ message: 'give q once' }).max(200, 'must be at most 200 characters').default(''),
  limit: limit(100, 20),
  cursor: z.string({ message: 'give cursor once' }).min(1).optional(),
})

export const listQuerySchema = z.object({ limit: limit(100, 50) })

export const dealListQuerySchema = z.object({
  limit: limit(100, 50),
  open: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
})

/** GET /admin/changes: `after` is the cursor of the previous page (none: from the start); `limit` per shard. */
export const changesQuerySchema = z.object({
  after: z.string({ message: 'give after once' }).min(1).optional(),
  limit: limit(5000, 500),
})
