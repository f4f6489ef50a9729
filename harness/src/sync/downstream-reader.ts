import { DOWNSTREAM_ROUTES } from '#crm-contract'
import { Pool } from 'undici'
import type { AppliedChange } from './sync-metrics.js'

// The harness's questions to the downstream system (system-under-test/src/downstream): which
// version it holds of given customers, every change it applied and when, how many it received
// twice. Read after the load, and once after seeding so the measured phase starts caught up.

const IDS_PER_CALL = 5_000
const APPLIED_PER_CALL = 50_000
const POLL_MS = 200

export interface HoldsOutcome {
  /** Ids whose expected version downstream did not hold when the wait ended. */
  missing: string[]
  checked: number
  /** Seconds the wait took until nothing was missing; null when it timed out. */
  tookS: number | null
  /** The last error talking to downstream, when the wait ended with records unconfirmed. */
  error?: string
}

export class DownstreamReader {
  private readonly pool: Pool

  constructor(readonly url: string) {
    this.pool = new Pool(new URL(url).origin, { connections: 4, headersTimeout: 10_000, bodyTimeout: 30_000 })
  }

  /** Polls until downstream holds at least `expected` version of every id, or `timeoutMs` passes. */
  async waitUntilHolds(expected: ReadonlyMap<string, number>, timeoutMs: number, signal: AbortSignal): Promise<HoldsOutcome> {
    const started = Date.now()
    let pending = [...expected.keys()]
    let error: string | undefined
    for (;;) {
      try {
        pending = await this.stillMissing(pending, expected)
        error = undefined
      } catch (e) {
        error = e instanceof Error ? e.message : String(e)
      }
      if (pending.length === 0) return { missing: [], checked: expected.size, tookS: (Date.now() - started) / 1000 }
      if (Date.now() - started >= timeoutMs || signal.aborted) {
        return { missing: pending, checked: expected.size, tookS: null, ...(error === undefined ? {} : { error }) }
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
  }

  /** Every change downstream applied, in order. */
  async applied(): Promise<AppliedChange[]> {
    const all: AppliedChange[] = []
    for (;;) {
      const page = (await this.getJson(`${DOWNSTREAM_ROUTES.applied}?from=${all.length}&limit=${APPLIED_PER_CALL}`)) as { items: AppliedChange[] }
      all.push(...page.items)
      if (page.items.length < APPLIED_PER_CALL) return all
    }
  }

  /** Changes received more than once since downstream's store began. */
  async duplicates(): Promise<number> {
    return ((await this.getJson(DOWNSTREAM_ROUTES.stats)) as { duplicates: number }).duplicates
  }

  close(): Promise<void> {
    return this.pool.close()
  }

  private async stillMissing(ids: readonly string[], expected: ReadonlyMap<string, number>): Promise<string[]> {
    const missing: string[] = []
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
      const chunk = ids.slice(i, i + IDS_PER_CALL)
      const res = await this.pool.request({
        method: 'POST',
        path: DOWNSTREAM_ROUTES.versions,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ids: chunk }),
      })
      const text = await res.body.text()
      if (res.statusCode !== 200) throw new Error(`downstream answered POST ${DOWNSTREAM_ROUTES.versions} with HTTP ${res.statusCode}`)
      const { versions } = JSON.parse(text) as { versions: Array<number | null> }
      chunk.forEach((id, k) => {
        const held = versions[k]
        if (held === null || held === undefined || held < (expected.get(id) ?? 1)) missing.push(id)
      })
    }
    return missing
  }

  private async getJson(path: string): Promise<unknown> {
    const res = await this.pool.request({ method: 'GET', path })
    const text = await res.body.text()
    if (res.statusCode !== 200) throw new Error(`downstream answered GET ${path} with HTTP ${res.statusCode}`)
    return JSON.parse(text)
  }
}
