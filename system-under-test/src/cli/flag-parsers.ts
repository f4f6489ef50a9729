import { InvalidArgumentError } from 'commander'

// Commander argument parsers shared by the shard and replica commands. A refusal is an
// InvalidArgumentError, which commander prints naming the flag, and the role exits 2.

/** A whole number from `min` to `max` (inclusive). */
export const intFlag =
  (flag: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (text: string): number => {
    const n = Number(text)
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`)
    }
    return n
  }

/** An ISO date, as ms since the epoch. */
export const dateFlag =
  (flag: string) =>
  (text: string): number => {
    const ms = Date.parse(text)
    if (Number.isNaN(ms)) throw new InvalidArgumentError(`${flag} must be an ISO date like 2026-01-01 or 2026-01-01T00:00:00Z`)
    return ms
  }
