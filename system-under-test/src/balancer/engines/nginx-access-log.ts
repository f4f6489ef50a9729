import { open, type FileHandle } from 'node:fs/promises'
import type { BackendErrorKind } from '../balancer-metrics.js'

/**
 * Per-backend counts from nginx's access log (format NGINX_LOG_FORMAT:
 * `$upstream_addr|$upstream_status|$status`). stub_status has no per-backend numbers, so the log is
 * the source: each call to `read()` parses the lines appended since the previous call.
 */
export class NginxAccessLog {
  readonly requests = new Map<string, number>()
  readonly errors = new Map<string, Partial<Record<BackendErrorKind, number>>>()
  readonly lastSeenAt = new Map<string, number>()
  retries = 0
  private offset = 0
  private partial = ''

  /** `addressToUrl` maps nginx's `host:port` to the backend URL as configured. */
  constructor(
    private readonly path: string,
    private readonly addressToUrl: (address: string) => string,
  ) {}

  /** Called before every metrics scrape or admin snapshot. */
  async read(): Promise<void> {
    let file: FileHandle
    try {
      file = await open(this.path, 'r')
    } catch {
      return // nginx has not written a line yet
    }
    try {
      const { size } = await file.stat()
      if (size < this.offset) this.offset = 0 // rotated or truncated
      if (size === this.offset) return
      const buffer = Buffer.alloc(size - this.offset)
      await file.read(buffer, 0, buffer.length, this.offset)
      this.offset = size
      const text = this.partial + buffer.toString('utf8')
      const lines = text.split('\n')
      this.partial = lines.pop() ?? ''
      const now = Date.now()
      for (const line of lines) this.count(line, now)
    } finally {
      await file.close()
    }
  }

  /** Parses one log line; exported behaviour is covered by the engine tests. */
  count(line: string, now = Date.now()): void {
    const [addrField, statusField] = line.split('|')
    if (!addrField || addrField === '-') return // answered by nginx itself (e.g. no upstream)
    // "a, b" = tried a then b; "a : b" = internal redirect. Statuses line up the same way.
    const addresses = addrField.split(/, | : /)
    const statuses = (statusField ?? '').split(/, | : /)
    this.retries += addresses.length - 1
    addresses.forEach((address, i) => {
      const url = this.addressToUrl(address.trim())
      this.requests.set(url, (this.requests.get(url) ?? 0) + 1)
      this.lastSeenAt.set(url, now)
      const status = Number(statuses[i])
      const kind: BackendErrorKind | null = status === 502 ? 'connect' : status === 504 ? 'timeout' : status >= 500 ? 'status_5xx' : null
      if (kind) {
        const kinds = this.errors.get(url) ?? {}
        kinds[kind] = (kinds[kind] ?? 0) + 1
        this.errors.set(url, kinds)
      }
    })
  }
}
