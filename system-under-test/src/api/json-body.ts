import type { RequestHandler } from 'express'
import getRawBody from 'raw-body'
import { ValidationError } from '../domain/domain-errors.js'
import { sendError } from './error-handler.js'

// Reads and parses a JSON request body within a route's limits, so that no body can hold the
// replica: a declared Content-Length over the limit is refused before a byte is read (a client
// claiming 200 MB and sending 2 bytes gets its 413 at once, not after a five-minute wait for
// bytes that never come), a body that grows past the limit is refused as soon as it does, and a
// body nested deeper than the route's documents could ever be is refused before JSON.parse.
// raw-body (what express.json reads with) does the reading; express.json itself is not used
// because after any error it reads the rest of the request before answering, which is exactly
// the wait a lying Content-Length turns into a hang. On a refusal the connection is closed: the
// unread rest of the body must not be taken for the next request.

export interface BodyLimits {
  /** Largest body in bytes (declared or received). */
  maxBytes: number
  /** How the limit reads in messages, e.g. `64 KiB`. */
  maxText: string
  /** Deepest nesting of objects and arrays (`{}` is 1, `{"a": []}` is 2). */
  maxDepth: number
}

/** The public CRM API: small flat documents (a customer, a deal). */
export const PUBLIC_BODY: BodyLimits = { maxBytes: 64 * 1024, maxText: '64 KiB', maxDepth: 8 }
/** Bulk seeding: up to 5000 customers, `{"customers": [{...}]}`. */
export const BULK_BODY: BodyLimits = { maxBytes: 4 * 1024 * 1024, maxText: '4 MiB', maxDepth: 4 }

/** 415 unless the body is JSON (UTF-8, not compressed), 413 over `maxBytes`, 400 when nested too deep or not JSON; else `req.body`. */
export function jsonBody(limits: BodyLimits): RequestHandler {
  return (req, res, next) => {
    const declared = req.headers['content-length']
    const chunked = req.headers['transfer-encoding'] !== undefined
    if (!chunked && (declared === undefined || declared === '0')) {
      req.body = undefined
      next()
      return
    }
    const refuse = (status: number, code: string, message: string): void => {
      res.setHeader('Connection', 'close')
      sendError(res, status, code, message)
    }
    if (!req.is('application/json')) {
      return refuse(
        415,
        'unsupported_media_type',
        `request body must be JSON (Content-Type: application/json), got ${req.headers['content-type'] ?? 'no Content-Type'}`,
      )
    }
    const charset = /;\s*charset=("?)([^";\s]+)\1/i.exec(req.headers['content-type'] ?? '')?.[2]?.toLowerCase()
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase()
    if ((charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') || encoding !== 'identity') {
      return refuse(415, 'unsupported_media_type', 'request body must be JSON encoded as UTF-8, uncompressed (Content-Type: application/json)')
    }
    getRawBody(req, { length: chunked ? null : declared, limit: limits.maxBytes, encoding: 'utf8' })
      .then(
        (text) => {
          const depth = nestingDepthOver(text, limits.maxDepth)
          if (depth) {
            throw new ValidationError(`request body is nested deeper than ${limits.maxDepth} levels: send the flat JSON document this route takes`, [
              { field: '(body)', message: `nesting deeper than ${limits.maxDepth} levels` },
            ])
          }
          try {
            req.body = JSON.parse(text) as unknown
          } catch {
            return refuse(400, 'invalid_json', 'request body is not valid JSON: send a JSON object with Content-Type: application/json')
          }
          next()
        },
        (error: unknown) => {
          const type = (error as { type?: unknown } | null)?.type
          if (type === 'entity.too.large') return refuse(413, 'payload_too_large', `request body is larger than ${limits.maxText}: send a smaller body`)
          if (type === 'request.size.invalid') return refuse(400, 'bad_request', 'request body is shorter or longer than its Content-Length')
          if (type === 'request.aborted') return // the client left; nobody to answer
          next(error)
        },
      )
      .catch(next)
  }
}

const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * True as soon as `text` opens more than `max` objects/arrays at once (outside strings). One
 * linear pass that stops early, so a 4 MiB `[[[[...` costs microseconds, not a JSON.parse of it.
 * Malformed JSON is left for JSON.parse to report.
 */
function nestingDepthOver(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) inString = true
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--
  }
  return false
}
