import { connect } from 'node:net'

/** What came back for a raw request: the first response, or why there was none. */
export interface RawAnswer {
  /** Status code of the first response; null when none arrived. */
  status: number | null
  headers: Record<string, string>
  body: string
  /** True when no complete response arrived within the timeout. */
  timedOut: boolean
  /** Milliseconds from connect to the complete response (or to the timeout / close). */
  elapsedMs: number
}

/**
 * Sends `bytes` as they are on a fresh TCP connection (for requests no HTTP client would send:
 * bad request lines, duplicate headers, lying Content-Length) and reads the first response, by
 * its Content-Length or chunked framing, or until the server closes. Never waits longer than
 * `timeoutMs`; the connection is always destroyed at the end.
 */
export function rawRequest(url: string, bytes: string | Buffer, timeoutMs = 5_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url)
  const started = performance.now()
  // The answer to HEAD has a Content-Length but no body.
  const headRequest = (typeof bytes === 'string' ? bytes.slice(0, 5) : bytes.toString('latin1', 0, 5)) === 'HEAD '
  const isComplete = (data: Buffer): boolean => complete(data, headRequest)
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    let received = Buffer.alloc(0)
    let settled = false
    const finish = (timedOut: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ ...parse(received), timedOut, elapsedMs: performance.now() - started })
    }
    const timer = setTimeout(() => finish(!isComplete(received)), timeoutMs)
    socket.on('connect', () => socket.write(bytes))
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (isComplete(received)) finish(false)
    })
    socket.on('error', () => finish(false))
    socket.on('close', () => finish(false))
  })
}

/** The final response's head and what follows it; interim 1xx responses (100 Continue) are skipped. */
function split(data: Buffer): { head: string; body: Buffer } | null {
  let rest = data
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    if (end < 0) return null
    const head = rest.subarray(0, end).toString('latin1')
    if (!/^HTTP\/1\.[01] 1\d\d/.test(head)) return { head, body: rest.subarray(end + 4) }
    rest = rest.subarray(end + 4)
  }
}

function headersOf(head: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}

function complete(data: Buffer, headRequest: boolean): boolean {
  const parts = split(data)
  if (!parts) return false
  if (headRequest || /^HTTP\/1\.[01] (204|304)/.test(parts.head)) return true
  const headers = headersOf(parts.head)
  if (headers['content-length'] !== undefined) return parts.body.length >= Number(headers['content-length'])
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) return parts.body.includes('0\r\n\r\n')
  return false // read until the server closes
}

function parse(data: Buffer): Omit<RawAnswer, 'timedOut' | 'elapsedMs'> {
  const parts = split(data)
  if (!parts) return { status: null, headers: {}, body: data.toString('latin1') }
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(parts.head)
  return { status: status ? Number(status[1]) : null, headers: headersOf(parts.head), body: parts.body.toString('utf8') }
}
