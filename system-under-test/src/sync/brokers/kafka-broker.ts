import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs'
import { withTimeout } from '../../util/with-timeout.js'
import { changeEventSchema, type ChangeEvent } from '../change-event.js'
import { CHANGES_CHANNEL, type ChangeConsumer, type ChangePublisher, type ConsumerHandlers } from './change-broker.js'

// Apache Kafka through kafkajs: one topic keyed by customer id (so each customer's changes keep
// their order), an idempotent producer with acks=all (the broker acknowledges a batch once it is
// in the log of every in-sync replica), a consumer group that commits an offset only after the
// changes before it are applied. Either side starts over on its own after the broker goes away,
// so a broker restart costs time, never a message.

const CONNECT_TIMEOUT_MS = 2_000
/** A send that is not acknowledged within this is treated as lost: the batch is sent again. */
const SEND_TIMEOUT_MS = 10_000
const RECONNECT_MIN_MS = 100
const RECONNECT_MAX_MS = 2_000
/** The consumer group of the downstream system: a restarted downstream resumes from its committed offset. */
export const DOWNSTREAM_GROUP = 'loadlab-downstream'
/** One partition: one downstream consumer, and the per-customer order holds trivially. */
const PARTITIONS = 1
/**
 * A consumer that died (a killed downstream) or lost its broker rejoins as a new member, and the
 * group hands out the partition only once the old member's session expired: this bounds that
 * wait (kafkajs's default, 30 s, would add to every such recovery). The local environment's
 * broker allows it (group.min.session.timeout.ms); kafkajs heartbeats between chunks, which
 * take milliseconds, so a busy machine does not make the group drop a live consumer.
 */
const SESSION_TIMEOUT_MS = 3_000

function client(url: string, clientId: string, retries: number): Kafka {
  const { host } = new URL(url)
  return new Kafka({
    clientId,
    brokers: [host],
    connectionTimeout: CONNECT_TIMEOUT_MS,
    requestTimeout: SEND_TIMEOUT_MS,
    // Few quick retries inside kafkajs: a broker that stays away is the caller's to retry (the
    // outbox keeps the batch, the consumer loop starts over), with its own back-off and log line.
    retry: { retries, initialRetryTime: RECONNECT_MIN_MS, maxRetryTime: RECONNECT_MAX_MS },
    // kafkajs logs every refused connection; the callers log one line per outage instead.
    logLevel: logLevel.NOTHING,
  })
}

/** Creates the changes topic unless it exists (several shards and downstream race to it harmlessly). */
async function ensureTopic(kafka: Kafka): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic: CHANGES_CHANNEL, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true })
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

export class KafkaPublisher implements ChangePublisher {
  private opening: Promise<Producer> | null = null

  constructor(private readonly url: string) {}

  async publish(events: readonly ChangeEvent[]): Promise<void> {
    const producer = await (this.opening ??= this.open())
    try {
      await withTimeout(
        producer.send({
          topic: CHANGES_CHANNEL,
          acks: -1,
          messages: events.map((e) => ({ key: e.id, value: JSON.stringify(e), headers: { 'message-id': `${e.id}@${e.version}` } })),
        }),
        SEND_TIMEOUT_MS,
      )
    } catch (error) {
      // A new producer (new producer id) after a failure: the idempotent producer's sequence
      // numbers of the failed batch would otherwise make the broker refuse the resend.
      await this.reset()
      throw error
    }
  }

  async close(): Promise<void> {
    await this.reset()
  }

  private async open(): Promise<Producer> {
    const kafka = client(this.url, 'loadlab-outbox', 2)
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
    try {
      await ensureTopic(kafka)
      await producer.connect()
      return producer
    } catch (error) {
      this.opening = null
      await producer.disconnect().catch(() => undefined)
      throw error
    }
  }

  private async reset(): Promise<void> {
    const opening = this.opening
    this.opening = null
    const producer = await opening?.catch(() => null)
    await producer?.disconnect().catch(() => undefined)
  }
}

export class KafkaConsumer implements ChangeConsumer {
  private closed = false
  private consumer: Consumer | null = null
  private wakeLoop: (() => void) | null = null
  private readonly running: Promise<void>

  constructor(
    private readonly url: string,
    /** Changes applied at once; their offset is committed after all of them are applied. */
    private readonly inFlight: number,
    private readonly handlers: ConsumerHandlers,
  ) {
    this.running = this.loop()
  }

  async close(): Promise<void> {
    this.closed = true
    this.wakeLoop?.()
    await this.running
  }

  private async loop(): Promise<void> {
    let delay = RECONNECT_MIN_MS
    while (!this.closed) {
      try {
        await this.consumeUntilCrashed()
        delay = RECONNECT_MIN_MS
      } catch (error) {
        this.handlers.state(false, `cannot consume from ${this.url}: ${error instanceof Error ? error.message : String(error)}`)
      }
      const consumer = this.consumer
      this.consumer = null
      await consumer?.disconnect().catch(() => undefined)
      if (this.closed) break
      await new Promise((resolve) => setTimeout(resolve, delay))
      delay = Math.min(delay * 2, RECONNECT_MAX_MS)
    }
  }

  /** Resolves when the consumer crashed for good (kafkajs gave up) or close() was called. */
  private async consumeUntilCrashed(): Promise<void> {
    const kafka = client(this.url, 'loadlab-downstream', 3)
    // kafkajs restarts a consumer itself after retriable errors; a crash it does not restart from
    // (restart false) ends this life, and the loop starts a new consumer.
    const consumer = kafka.consumer({
      groupId: DOWNSTREAM_GROUP,
      allowAutoTopicCreation: false,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: SESSION_TIMEOUT_MS / 6,
      rebalanceTimeout: SESSION_TIMEOUT_MS * 2,
      retry: { retries: 3, restartOnFailure: async () => true },
    })
    this.consumer = consumer
    const ended = new Promise<void>((resolve) => {
      this.wakeLoop = resolve
      consumer.on(consumer.events.CRASH, (e) => {
        this.handlers.state(false, `consumer stopped: ${e.payload.error.message}${e.payload.restart ? ' (restarting)' : ''}`)
        if (!e.payload.restart) resolve()
      })
    })
    consumer.on(consumer.events.GROUP_JOIN, () => this.handlers.state(true, `consuming ${CHANGES_CHANNEL} from ${this.url} (group ${DOWNSTREAM_GROUP})`))
    consumer.on(consumer.events.DISCONNECT, () => this.handlers.state(false, `disconnected from ${this.url}`))
    if (this.closed) return
    await ensureTopic(kafka)
    await consumer.connect()
    await consumer.subscribe({ topic: CHANGES_CHANNEL, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length && isRunning() && !isStale(); i += this.inFlight) {
          const chunk = batch.messages.slice(i, i + this.inFlight)
          // Applied concurrently, as RabbitMQ's prefetch window is: the store keeps the newest version whatever the order.
          await Promise.all(chunk.map((m) => this.applyMessage(m.value)))
          const last = chunk[chunk.length - 1]!.offset
          resolveOffset(last)
          // Committed only now: a crash before this line redelivers the chunk (duplicates, never a gap).
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(BigInt(last) + 1n) }])
          await heartbeat()
        }
      },
    })
    await ended
  }

  /** Applies one message; a message that is no change event is dropped and counted. Rejects when the store failed (the batch is fetched again). */
  private async applyMessage(value: Buffer | null): Promise<void> {
    let json: unknown
    try {
      json = JSON.parse(value?.toString('utf8') ?? '')
    } catch {
      this.handlers.rejected('a message that is not JSON')
      return
    }
    const parsed = changeEventSchema.safeParse(json)
    if (!parsed.success) {
      this.handlers.rejected(`a message that is not a change event: ${parsed.error.issues[0]?.message ?? ''}`)
      return
    }
    await this.handlers.apply(parsed.data)
  }
}
