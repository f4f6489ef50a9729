import type { ChangeFeedSource } from '../storage/shard-store.js'
import type { ChangePublisher } from './brokers/change-broker.js'

// Drains a shard's change feed (the outbox) to the broker, in feed order, a batch at a time. The
// position moves only after the broker confirmed the batch, so a broker that is down or slow
// makes the backlog grow, never loses a change; a batch whose confirm was lost is sent again
// (the receiver counts it as duplicates). Retries back off up to two seconds.

const RETRY_MIN_MS = 50
const RETRY_MAX_MS = 2_000
/** Even without a wake-up the feed is looked at this often. */
const IDLE_POLL_MS = 1_000

export interface OutboxStats {
  /** Feed position confirmed by the broker. */
  published: number
  /** Newest feed position. */
  head: number
  /** Failed publish attempts since start. */
  failures: number
}

export class OutboxPublisher {
  private position = 0
  private failures = 0
  private closed = false
  private wake: (() => void) | null = null
  /** A change arrived since the feed was last read: an idle wait ends at once. */
  private dirty = false
  private readonly unsubscribe: () => void
  private readonly running: Promise<void>

  /** Starts draining at once; `log` gets one line when publishing starts failing and one when it recovers. */
  constructor(
    private readonly feed: ChangeFeedSource,
    private readonly publisher: ChangePublisher,
    private readonly batch: number,
    private readonly log: (line: string) => void,
  ) {
    this.unsubscribe = feed.onChange(() => {
      this.dirty = true
      this.wake?.()
    })
    this.running = this.loop()
  }

  stats(): OutboxStats {
    return { published: this.position, head: this.feed.feedHead(), failures: this.failures }
  }

  /** Called on shutdown: stops after the batch in flight; the rest stays in the feed. */
  async close(): Promise<void> {
    this.closed = true
    this.unsubscribe()
    this.wake?.()
    await this.running
    await this.publisher.close()
  }

  private async loop(): Promise<void> {
    let retryMs = RETRY_MIN_MS
    let failing = false
    while (!this.closed) {
      this.dirty = false
      const page = await this.feed.changesSince(this.position, this.batch)
      if (page.items.length === 0) {
        await this.sleep(IDLE_POLL_MS)
        continue
      }
      try {
        await this.publisher.publish(page.items)
        this.position = page.items[page.items.length - 1]!.seq
        retryMs = RETRY_MIN_MS
        if (failing) this.log(`outbox: publishing again (${this.feed.feedHead() - this.position} changes waiting)`)
        failing = false
      } catch (error) {
        this.failures++
        if (!failing) this.log(`outbox: cannot publish, retrying (changes wait in the outbox): ${error instanceof Error ? error.message : String(error)}`)
        failing = true
        await this.sleep(retryMs)
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS)
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      const self = this
      function done(): void {
        clearTimeout(timer)
        self.wake = null
        resolve()
      }
      // A new change ends an idle wait at once; during a retry back-off it must not.
      if (ms === IDLE_POLL_MS) {
        if (this.dirty) done()
        else this.wake = done
      }
    })
  }
}
