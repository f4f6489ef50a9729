import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import { ADMIN_AUTH_SCHEME, ADMIN_TOKEN_ENV } from '../contract/http-contract.js'
import type { Refusal } from '../http/refusal.js'

// The gate in front of every admin route (the balancer's admin port, a replica's and a shard's
// /admin): they can drain backends, slow a process down or load thousands of records, so a web
// page the user happens to have open must not reach them. Four checks, each closing a door the
// others leave open:
// - Host must name this machine's loopback (or the address the server is bound to): a DNS
//   rebinding page talks to 127.0.0.1 under its own name, and that name shows in Host.
// - Origin, when a browser sends one, must be a loopback origin.
// - The admin token (Authorization: Bearer), generated per start: nothing on the machine that
//   has not been handed the token can call an admin route, browser or not.
// - POSTs must say application/json: a browser cannot send that cross-origin without a CORS
//   preflight, which no admin route answers.
// GET /metrics is not an admin route: it stays open for Prometheus-style scrapers (read-only
// counters, no secrets), as on every role's main port.

export interface AdminGuardOptions {
  /** The admin token of this process (see admin-token.ts). */
  token: string
  /** The interface the server is bound to; when it is a specific address, that address is an accepted Host too. */
  boundHost: string
}

/** Called for every admin request before its handler: null when it may proceed, else the refusal to send. */
export function checkAdminRequest(req: IncomingMessage, options: AdminGuardOptions): Refusal | null {
  const host = req.headers.host
  if (host === undefined || !isLocalName(hostName(host), options.boundHost)) {
    return {
      status: 403,
      code: 'forbidden_host',
      message: `admin routes answer only to a loopback Host (127.0.0.1, localhost or [::1]); got ${host === undefined ? 'no Host header' : JSON.stringify(host.slice(0, 100))}`,
    }
  }
  const origin = req.headers.origin
  if (origin !== undefined && !isLocalOrigin(origin, options.boundHost)) {
    return {
      status: 403,
      code: 'forbidden_origin',
      message: `admin routes refuse requests from web pages of other origins; got Origin ${JSON.stringify(origin.slice(0, 100))}`,
    }
  }
  if (!hasToken(req.headers.authorization, options.token)) {
    return {
      status: 401,
      code: 'unauthorized',
      message: `admin routes need the admin token: send Authorization: ${ADMIN_AUTH_SCHEME} <token>. The token is the ${ADMIN_TOKEN_ENV} the process was started with; a process started without one generated a token and named its file on stderr`,
      headers: { 'www-authenticate': ADMIN_AUTH_SCHEME },
    }
  }
  if (req.method === 'POST' && !isJson(req.headers['content-type'])) {
    return {
      status: 415,
      code: 'unsupported_media_type',
      message: `admin POSTs must be JSON (Content-Type: application/json), got ${req.headers['content-type'] ?? 'no Content-Type'}`,
    }
  }
  return null
}

function hasToken(authorization: string | undefined, token: string): boolean {
  if (authorization === undefined) return false
  const prefix = `${ADMIN_AUTH_SCHEME} `
  if (authorization.length <= prefix.length || authorization.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return false
  const given = Buffer.from(authorization.slice(prefix.length).trim())
  const expected = Buffer.from(token)
  // Constant time, so the token cannot be guessed a character at a time from response times.
  return given.length === expected.length && timingSafeEqual(given, expected)
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json'
}

/** `127.0.0.1:8080` -> `127.0.0.1`, `[::1]:8080` -> `::1`, `localhost` -> `localhost`. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'))
  const colon = h.indexOf(':')
  return colon < 0 ? h : h.slice(0, colon)
}

function isLocalName(name: string, boundHost: string): boolean {
  if (name === 'localhost' || name === '::1') return true
  if (isIP(name) === 4 && name.startsWith('127.')) return true
  const bound = boundHost.toLowerCase().replace(/^\[|\]$/g, '')
  return isIP(bound) !== 0 && bound !== '0.0.0.0' && bound !== '::' && name === bound
}

function isLocalOrigin(origin: string, boundHost: string): boolean {
  try {
    return isLocalName(hostName(new URL(origin).host), boundHost)
  } catch {
    return false // `null` (sandboxed pages, file://) or garbage
  }
}
