import { z } from 'zod'
import { ValidationError } from '../domain/domain-errors.js'

// The position of a reader of the CRM's changes endpoint: per shard, the feed's epoch and the last
// seq read. Opaque to clients (base64url JSON) and validated when it comes back. A shard whose
// epoch changed (it restarted) is read again from its start: receivers apply by version, so a
// change seen twice is harmless, a change skipped would not be.

export interface ShardPosition {
  epoch: string
  seq: number
}

const cursorSchema = z.array(z.tuple([z.string().max(64), z.number().int().min(0)])).max(10_000)

export function encodeChangesCursor(positions: readonly ShardPosition[]): string {
  return Buffer.from(JSON.stringify(positions.map((p) => [p.epoch, p.seq])), 'utf8').toString('base64url')
}

/** Positions per shard; a ValidationError naming `after` for a cursor this API did not hand out or one for another number of shards. */
export function decodeChangesCursor(cursor: string, shardCount: number): ShardPosition[] {
  const invalid = (why: string) =>
    new ValidationError(`after is not valid (${why}): pass the cursor of the previous page unchanged, or omit it to read from the start`, [
      { field: 'after', message: why },
    ])
  if (!/^[A-Za-z0-9_-]{1,100000}$/.test(cursor)) throw invalid('not a cursor returned by this API')
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalid('not a cursor returned by this API')
  }
  const result = cursorSchema.safeParse(parsed)
  if (!result.success) throw invalid('not a cursor returned by this API')
  if (result.data.length !== shardCount) throw invalid(`it holds ${result.data.length} shard positions, this CRM has ${shardCount} shards`)
  return result.data.map(([epoch, seq]) => ({ epoch, seq }))
}
