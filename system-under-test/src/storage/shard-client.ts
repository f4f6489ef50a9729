import { Pool } from 'undici'
import type { Activity, Contact, Customer, Deal } from '../domain/records.js'
import type { ChangePage } from '../sync/change-event.js'
import { DuplicateCustomerIdError, ShardOverloadedError, ShardUnavailableError, UnknownCustomerError } from './shard-errors.js'
import type { RpcErrorBody, RpcOp } from './shard-rpc.js'
import type { CustomerPatch, EmailClaim, SearchPage, SearchPosition, ShardStore } from './shard-store.js'

// A ShardStore that lives in an embedded shard server process, reached over the RPC in
// shard-rpc.ts. One undici Pool per shard: keep-alive connections reused across requests, no
// pipelining (one slow request must not hold up the ones queued behind it on a socket, which
// would hide the shard's real queueing in the capacity model), a bounded number of connections.
// Every failure becomes an error naming the shard URL, so a replica's log says which shard failed.

export { ShardOverloadedError, ShardUnavailableError, UnknownCustomerError, DuplicateCustomerIdError } from './shard-errors.js'

export interface ShardClientOptions {
  /** Connections kept to the shard (default 16). */
  connections?: number
  /** Longest wait for a response's headers, queueing at the shard included (default 10 s). */
  timeoutMs?: number
}

export class ShardClient implements ShardStore {
  readonly url: string
  private readonly pool: Pool

  /** Called once per shard when a replica starts; connects lazily, so a shard may come up later (/ready tells). */
  constructor(url: string, options: ShardClientOptions = {}) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new Error(`shard address "${url}" is not a URL: use one such as http://127.0.0.1:7001 (--shards with --store embedded)`)
    }
    if (parsed.protocol !== 'http:') {
      throw new Error(
        `shard address "${url}" must be an http:// URL such as http://127.0.0.1:7001 for --store embedded (postgres:// URLs need --store postgres)`,
      )
    }
    this.url = parsed.origin
    const timeoutMs = options.timeoutMs ?? 10_000
    this.pool = new Pool(this.url, {
      connections: options.connections ?? 16,
      pipelining: 1,
      // Shorter than the server's 60 s, so the client closes idle sockets first (no reset races).
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 30_000,
      connectTimeout: 2_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
  }

  async init(): Promise<void> {}

  async close(): Promise<void> {
    await this.pool.close()
  }

  async ping(): Promise<boolean> {
    try {
      const res = await this.pool.request({ method: 'GET', path: '/health', signal: AbortSignal.timeout(2_000) })
      await res.body.dump()
      return res.statusCode === 200
    } catch {
      return false
    }
  }

  claimEmail(email: string, customerId: string): Promise<string | null> {
    return this.call('claimEmail', [email, customerId])
  }

  claimEmails(claims: EmailClaim[]): Promise<(string | null)[]> {
    return this.call('claimEmails', [claims])
  }

  async releaseEmail(email: string, customerId: string): Promise<void> {
    await this.call('releaseEmail', [email, customerId])
  }

  async insertCustomer(c: Customer): Promise<void> {
    await this.call('insertCustomer', [c])
  }

  async insertCustomers(cs: Customer[]): Promise<void> {
    await this.call('insertCustomers', [cs])
  }

  getCustomer(id: string): Promise<Customer | null> {
    return this.call('getCustomer', [id])
  }

  updateCustomer(id: string, patch: CustomerPatch, now: string): Promise<Customer | null> {
    return this.call('updateCustomer', [id, patch, now])
  }

  deleteCustomer(id: string): Promise<boolean> {
    return this.call('deleteCustomer', [id])
  }

  searchCustomers(prefix: string, limit: number, after: SearchPosition | null): Promise<SearchPage> {
    return this.call('searchCustomers', [prefix, limit, after])
  }

  countCustomers(): Promise<number> {
    return this.call('countCustomers', [])
  }

  async insertContact(c: Contact): Promise<void> {
    await this.call('insertContact', [c])
  }

  listContacts(customerId: string, limit: number): Promise<Contact[]> {
    return this.call('listContacts', [customerId, limit])
  }

  async insertDeal(d: Deal): Promise<void> {
    await this.call('insertDeal', [d])
  }

  listDeals(customerId: string, limit: number, openOnly: boolean): Promise<Deal[]> {
    return this.call('listDeals', [customerId, limit, openOnly])
  }

  async insertActivity(a: Activity): Promise<void> {
    await this.call('insertActivity', [a])
  }

  listActivities(customerId: string, limit: number): Promise<Activity[]> {
    return this.call('listActivities', [customerId, limit])
  }

  changesSince(afterSeq: number, limit: number): Promise<ChangePage> {
    return this.call('changesSince', [afterSeq, limit])
  }

  private async call<T>(op: RpcOp, args: unknown[]): Promise<T> {
    let status: number
    let retryAfter: string | string[] | undefined
    let text: string
    try {
      const res = await this.pool.request({
        method: 'POST',
        path: `/rpc/${op}`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ args }),
      })
      status = res.statusCode
      retryAfter = res.headers['retry-after']
      text = await res.body.text()
    } catch (error) {
      throw new ShardUnavailableError(this.url, `${op} failed: ${describe(error)}`, { cause: error })
    }
    if (status === 200) {
      try {
        return (JSON.parse(text) as { result: T }).result
      } catch (error) {
        throw new ShardUnavailableError(this.url, `${op} answered 200 with a body that is not JSON`, { cause: error })
      }
    }
    if (status === 503) {
      const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter)
      throw new ShardOverloadedError(this.url, Number.isFinite(seconds) && seconds >= 0 ? seconds : 1)
    }
    let body: RpcErrorBody['error'] | undefined
    try {
      body = (JSON.parse(text) as RpcErrorBody).error
    } catch {
      body = undefined
    }
    if (body?.code === UnknownCustomerError.wireCode) throw new UnknownCustomerError(body.id ?? '')
    if (body?.code === DuplicateCustomerIdError.wireCode) throw new DuplicateCustomerIdError(body.id ?? '')
    const detail = body?.details?.map((d) => `${d.field}: ${d.message}`).join('; ')
    throw new ShardUnavailableError(this.url, `${op} answered ${status}: ${body?.message ?? text.slice(0, 200)}${detail ? ` (${detail})` : ''}`)
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
  return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}${cause}`
}
