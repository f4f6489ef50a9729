// Sample.error of a request that got no response: a short label both engines share, so a
// report can group failures the same way whichever engine ran.

/** A short, stable error label for a failed request: 'timeout', 'ECONNREFUSED', 'UND_ERR_SOCKET', ... */
export function errorLabel(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout'
  if (typeof code === 'string') return code
  const name = (err as { name?: unknown } | null)?.name
  return typeof name === 'string' ? name : 'error'
}
