import { Pool } from 'undici'
import { DownstreamUnavailableError } from '../domain/domain-errors.js'
import type { ChangeEvent } from './change-event.js'
import { DOWNSTREAM_ROUTES } from '../contract/http-routes.js'

// The replica's side of sync strategy `sync-call`: each customer change goes to the downstream
// system's POST /changes before the write is acknowledged. Any failure (refused, timed out, a
// non-2xx answer) is a DownstreamUnavailableError: the client gets a 503 naming downstream.

export class DownstreamClient {
  private readonly pool: Pool

  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
  ) {
    this.pool = new Pool(new URL(url).origin, {
      connections: 16,
      pipelining: 1,
      connectTimeout: Math.min(timeoutMs, 2_000),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
  }

  async send(changes: ChangeEvent[]): Promise<void> {
    let status: number
    try {
      const res = await this.pool.request({
        method: 'POST',
        path: DOWNSTREAM_ROUTES.changes,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ changes }),
        signal: AbortSignal.timeout(this.timeoutMs),
      })
      await res.body.dump()
      status = res.statusCode
    } catch (error) {
      throw new DownstreamUnavailableError(
        `downstream ${this.url} did not take the change (${error instanceof Error ? error.message : String(error)}): the change is stored, retry the write to confirm it`,
      )
    }
    if (status < 200 || status >= 300)
      throw new DownstreamUnavailableError(`downstream ${this.url} refused the change (HTTP ${status}): the change is stored, retry the write to confirm it`)
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}
