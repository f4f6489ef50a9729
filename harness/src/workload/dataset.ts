import { ADMIN_TOKEN_ENV, adminHeaders, BULK_CUSTOMERS_PATH } from '#crm-contract'
import { request } from 'undici'
import { z } from 'zod'
import type { Workload } from './workload.js'
import { createSeededRandom } from '../random/seeded-random.js'
import { randomCustomer } from './customer-data.js'

/** The customers a run can address. Index 0 = oldest; ids created during the run are appended. */
export interface Dataset {
  customerIds: string[]
}

/** The admin bulk endpoint takes at most 5000 customers per call (system-under-test/README.md). */
export const BULK_BATCH_SIZE = 5000
const DAY_MS = 86_400_000

const bulkResponse = z.object({ ids: z.array(z.string()) })

export interface SeedOptions {
  /** Customers per bulk call (<= 5000). */
  batchSize?: number
  /** Makes seeded emails unique across seedings of the same target (default: "s<seed>"). */
  emailTag?: string
  /** End of the createdAt span (default: UTC midnight today, matching the range partitions' default end). */
  now?: Date
  /** The target's admin token, sent as `Authorization: Bearer` (the CRM's /admin routes require it). */
  adminToken?: string
}

/** UTC midnight of the given day. */
function utcMidnight(d: Date): number {
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
}

/**
 * Seeds w.datasetSize customers through POST /admin/customers/bulk of `target` (a replica: a
 * balancer does not proxy /admin), with `opts.adminToken`: names, emails, companies and
 * segments derive from w.seed; createdAt is spread evenly over the 365 days before `now`
 * (oldest first), so ids - which derive from createdAt - come back time-ordered.
 */
export async function seedDataset(target: URL, w: Workload, signal: AbortSignal, opts: SeedOptions = {}): Promise<Dataset> {
  const n = Math.floor(w.datasetSize)
  if (!(n >= 1)) throw new Error(`workload.datasetSize must be >= 1, got ${w.datasetSize}`)
  const batchSize = Math.min(BULK_BATCH_SIZE, Math.max(1, opts.batchSize ?? BULK_BATCH_SIZE))
  const end = utcMidnight(opts.now ?? new Date())
  const start = end - 365 * DAY_MS
  const step = (end - start) / n
  const tag = opts.emailTag ?? `s${w.seed}`
  const rng = createSeededRandom(w.seed).fork(100)
  const url = new URL(BULK_CUSTOMERS_PATH, target)
  const ids: string[] = []
  for (let from = 0; from < n; from += batchSize) {
    signal.throwIfAborted()
    const to = Math.min(n, from + batchSize)
    const customers = []
    for (let i = from; i < to; i++) {
      customers.push({ ...randomCustomer(rng, `${tag}-${i}`), createdAt: new Date(Math.floor(start + i * step)).toISOString() })
    }
    const res = await request(url, {
      method: 'POST',
      headers: adminHeaders(opts.adminToken),
      body: JSON.stringify({ customers }),
      signal,
    })
    const text = await res.body.text()
    if (res.statusCode !== 201 && res.statusCode !== 200) {
      throw new Error(
        `seeding ${url.href} failed: HTTP ${res.statusCode} ${text.slice(0, 300)} (is the target a LoadLab CRM replica with the /admin API? For a target you run, export its admin token as ${ADMIN_TOKEN_ENV})`,
      )
    }
    const parsed = bulkResponse.safeParse(JSON.parse(text))
    if (!parsed.success || parsed.data.ids.length !== to - from) {
      throw new Error(`seeding ${url.href}: expected {"ids": [...]} with ${to - from} ids, got ${text.slice(0, 200)}`)
    }
    for (const id of parsed.data.ids) ids.push(id)
  }
  return { customerIds: ids }
}
