import { randomFillSync } from 'node:crypto'

// Record ids are ULID-like: a prefix, 10 Crockford base32 digits of the creation time in ms, then
// 16 digits (80 bits) of randomness. Ids therefore sort by creation time as plain strings, which is
// what gives range partitioning its real consequence (new customers land on the last range), and
// the time can be read back from a customer id without a lookup. Ids made for the same ms by this
// process increment the previous random part instead of drawing a new one, so they stay ordered;
// ids from different processes stay unique through the 80 random bits.

// Crockford's alphabet, lower-cased: ascending in ASCII, so string order equals numeric order.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const TIME_DIGITS = 10
const RANDOM_DIGITS = 16
/** 10 base32 digits hold 50 bits; the largest time we accept is far beyond any real date. */
const MAX_TIME_MS = 2 ** 48 - 1

const DECODE = new Map<string, number>([...ALPHABET].map((ch, i) => [ch, i]))

export type ChildIdPrefix = 'con' | 'deal' | 'act'

const CUSTOMER_ID_PATTERN = new RegExp(`^cus_[${ALPHABET}]{${TIME_DIGITS + RANDOM_DIGITS}}$`)

function encodeTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_TIME_MS) {
    throw new RangeError(`id time must be an integer ms timestamp between 0 and ${MAX_TIME_MS}, got ${ms}`)
  }
  let out = ''
  let rest = ms
  for (let i = 0; i < TIME_DIGITS; i++) {
    out = ALPHABET[rest % 32] + out
    rest = Math.floor(rest / 32)
  }
  return out
}

/** Draws random digits from a pooled buffer: seeding makes 10k ids at once and this keeps that cheap. */
const pool = Buffer.alloc(RANDOM_DIGITS * 256)
let poolOffset = pool.length

function freshRandomDigits(): number[] {
  if (poolOffset + RANDOM_DIGITS > pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const digits = new Array<number>(RANDOM_DIGITS)
  for (let i = 0; i < RANDOM_DIGITS; i++) digits[i] = pool[poolOffset + i]! & 31
  poolOffset += RANDOM_DIGITS
  return digits
}

/** Per prefix: the last time used and its random digits, so same-ms ids increment instead. */
const lastByPrefix = new Map<string, { ms: number; digits: number[] }>()

function nextId(prefix: string, ms: number): string {
  const time = encodeTime(ms)
  const last = lastByPrefix.get(prefix)
  let digits: number[]
  if (last !== undefined && last.ms === ms) {
    digits = last.digits.slice()
    let i = RANDOM_DIGITS - 1
    while (i >= 0 && digits[i] === 31) digits[i--] = 0
    // 80 bits overflowing within one ms cannot happen in practice; a fresh draw keeps uniqueness.
    if (i < 0) digits = freshRandomDigits()
    else digits[i]!++
  } else {
    digits = freshRandomDigits()
    // Leave headroom for increments within the same ms.
    digits[0]! &= 15
  }
  lastByPrefix.set(prefix, { ms, digits })
  let random = ''
  for (const d of digits) random += ALPHABET[d]
  return `${prefix}_${time}${random}`
}

/**
 * Called when a customer is created (API or bulk seed): a new id that sorts by `createdAtMs`.
 * Seeded customers pass their historical createdAt, so their ids (and range shards) follow it.
 */
export function newCustomerId(createdAtMs: number): string {
  return nextId('cus', createdAtMs)
}

/**
 * Called for range bounds (PostgreSQL's native range partitions): the smallest customer id created
 * at `ms`. Every id of that ms sorts at or after it, every id of an earlier ms before it.
 */
export function customerIdFloor(ms: number): string {
  return `cus_${encodeTime(ms)}${ALPHABET.charAt(0).repeat(RANDOM_DIGITS)}`
}

/** Called by range partitioning and anyone who needs the creation time of a customer id; null when `id` is not a customer id. */
export function customerIdTimeMs(id: string): number | null {
  if (!CUSTOMER_ID_PATTERN.test(id)) return null
  let ms = 0
  for (let i = 4; i < 4 + TIME_DIGITS; i++) ms = ms * 32 + (DECODE.get(id.charAt(i)) as number)
  return ms > MAX_TIME_MS ? null : ms
}

/** Called when a contact (`con`), deal (`deal`) or activity (`act`) is created: a time-ordered id for now. */
export function newChildId(prefix: ChildIdPrefix, nowMs: number = Date.now()): string {
  return nextId(prefix, nowMs)
}
