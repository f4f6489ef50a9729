import type { IncomingMessage } from 'node:http'
import type { Refusal } from '../http/refusal.js'

// The CRM's admin routes (bulk load, slowdown) are for the harness, which calls a replica
// directly. Matched after percent-decoding, case-insensitively and across repeated slashes and
// dot segments, so no spelling of the path reaches a replica's /admin through the public port.
const ADMIN_PATH = /^\/+(?:\.{1,2}\/+)*admin(?:[/?#;]|$)/i

/**
 * Called for every request on the main port before a backend is chosen. Returns a refusal for
 * what is not a public CRM API request (the /admin routes: 404) or cannot be forwarded at all (a
 * request target that is not a path, such as `*` or an absolute URL; more than one Host header,
 * which RFC 9112 section 3.2 says must get a 400; a declared body over `maxBodyBytes`: 413).
 * Such requests are the client's error: they never reach a backend, so they never count against one.
 */
export function screenRequest(req: IncomingMessage, maxBodyBytes: number): Refusal | null {
  const target = req.url ?? ''
  if (!target.startsWith('/')) {
    return {
      status: 400,
      code: 'bad_request',
      message: `request target ${JSON.stringify(target.slice(0, 100))} is not a path: send an origin-form target such as /customers`,
    }
  }
  let hosts = 0
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') hosts++
  // (Node itself refuses an HTTP/1.1 request without one.)
  if (hosts > 1) return { status: 400, code: 'bad_request', message: `${hosts} Host headers: send exactly one` }
  // Checked before anything is forwarded: a client that claims 200 MB and sends 2 bytes would
  // otherwise hold the request open waiting for the rest (undici sends nothing before the body).
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBodyBytes) {
    return {
      status: 413,
      code: 'payload_too_large',
      message: `request body of ${declared} bytes is larger than the balancer forwards (${maxBodyBytes}): send a smaller body`,
      headers: { connection: 'close' },
    }
  }
  if (isAdminPath(target)) {
    return { status: 404, code: 'route_not_found', message: 'the balancer serves the public CRM API only: send /admin calls to a replica directly' }
  }
  return null
}

/** True when `target` (path and query as sent) names an /admin route in any spelling. */
export function isAdminPath(target: string): boolean {
  // Cheap first test on the hot path: no "admin" in any case, no percent escape, nothing to decode.
  if (!/admin|%/i.test(target)) return false
  let decoded = target
  try {
    decoded = decodeURIComponent(target)
  } catch {
    // A malformed escape: match on the text as sent.
  }
  return ADMIN_PATH.test(decoded) || ADMIN_PATH.test(target)
}
