import { request } from 'undici'
import { z } from 'zod'
import { changeEventSchema } from '../sync/change-event.js'
import type { DownstreamStore } from './downstream-store.js'

// Sync strategy `scheduled-pull`: every interval downstream asks the CRM for the changes after
// its watermark (GET /admin/changes), applies them, then stores the new watermark, so a
// restarted downstream resumes where it stopped (and may see a few changes twice, which
// applying by version makes harmless). A full page is followed at once by the next one: a
// backlog drains at full speed, an idle feed costs one request per interval. When a replica
// does not answer, the next one in the list is asked.

const pageSchema = z.object({ items: z.array(changeEventSchema), cursor: z.string().min(1), caughtUp: z.boolean() })

export interface PullerOptions {
  /** Replica base URLs (any replica serves the whole feed). */
  crmUrls: string[]
  /** The CRM's admin token: the changes endpoint hands out every record. */
  adminToken: string
  intervalMs: number
  /** Changes per shard per request. */
  batch: number
  log(line: string): void
}

export class ChangesPuller {
  private closed = false
  private timer: NodeJS.Timeout | null = null
  private wake: (() => void) | null = null
  private readonly running: Promise<void>
  /** true while the last pull succeeded. */
  connected = false

  constructor(
    private readonly store: DownstreamStore,
    private readonly options: PullerOptions,
  ) {
    this.running = this.loop()
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.wake?.()
    await this.running
  }

  private async loop(): Promise<void> {
    let next = 0
    while (!this.closed) {
      // The CLI refuses an empty --pull-from, so the modulo picks an element.
      const url = this.options.crmUrls[next % this.options.crmUrls.length]!
      let caughtUp = true
      try {
        caughtUp = await this.pullOnce(url)
        if (!this.connected) this.options.log(`pulling changes from ${url}`)
        this.connected = true
      } catch (error) {
        if (this.connected || next === 0)
          this.options.log(`cannot pull changes from ${url}, trying again: ${error instanceof Error ? error.message : String(error)}`)
        this.connected = false
        next++
      }
      if (!caughtUp) continue
      await new Promise<void>((resolve) => {
        this.wake = resolve
        this.timer = setTimeout(resolve, this.options.intervalMs)
      })
    }
  }

  /** One request; resolves with whether the CRM had nothing more. */
  private async pullOnce(base: string): Promise<boolean> {
    const query = new URLSearchParams({ limit: String(this.options.batch) })
    const watermark = this.store.watermark
    if (watermark) query.set('after', watermark)
    const res = await request(new URL(`/admin/changes?${query}`, base), {
      headers: { authorization: `Bearer ${this.options.adminToken}` },
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    })
    const text = await res.body.text()
    if (res.statusCode === 400 && watermark) {
      // The CRM no longer understands our watermark (another number of shards): read again from the start.
      await this.store.setWatermark('')
      return false
    }
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`)
    const page = pageSchema.parse(JSON.parse(text))
    await this.store.apply(page.items)
    await this.store.setWatermark(page.cursor)
    return page.caughtUp
  }
}
