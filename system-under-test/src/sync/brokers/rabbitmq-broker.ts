import { connect, type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib'
import { withTimeout } from '../../util/with-timeout.js'
import { changeEventSchema, type ChangeEvent } from '../change-event.js'
import { CHANGES_CHANNEL, type ChangeConsumer, type ChangePublisher, type ConsumerHandlers } from './change-broker.js'

// RabbitMQ through amqplib: one durable queue, persistent messages, publisher confirms (the
// broker confirms a persistent message once it is written to disk), manual acknowledgements on
// the consumer (after the change is applied and logged). Either side reconnects on its own after
// the broker goes away, so a broker restart costs time, never a message.

const CONNECT_TIMEOUT_MS = 2_000
/** A confirm that does not come within this is treated as lost: the batch is sent again. */
const CONFIRM_TIMEOUT_MS = 10_000
const RECONNECT_MIN_MS = 100
const RECONNECT_MAX_MS = 2_000

export class RabbitMqPublisher implements ChangePublisher {
  private opening: Promise<{ connection: ChannelModel; channel: ConfirmChannel }> | null = null

  constructor(private readonly url: string) {}

  async publish(events: readonly ChangeEvent[]): Promise<void> {
    const { channel } = await (this.opening ??= this.open())
    try {
      for (const e of events) {
        // The return value only says the socket buffer is full; the confirms below cover delivery.
        channel.sendToQueue(CHANGES_CHANNEL, Buffer.from(JSON.stringify(e)), {
          persistent: true,
          contentType: 'application/json',
          messageId: `${e.id}@${e.version}`,
        })
      }
      await withTimeout(channel.waitForConfirms(), CONFIRM_TIMEOUT_MS)
    } catch (error) {
      await this.reset()
      throw error
    }
  }

  async close(): Promise<void> {
    await this.reset()
  }

  private async open(): Promise<{ connection: ChannelModel; channel: ConfirmChannel }> {
    try {
      const connection = await connect(this.url, { timeout: CONNECT_TIMEOUT_MS })
      connection.on('error', () => undefined) // 'close' follows; publish() reports the failure
      connection.on('close', () => (this.opening = null))
      const channel = await connection.createConfirmChannel()
      channel.on('error', () => undefined)
      await channel.assertQueue(CHANGES_CHANNEL, { durable: true })
      return { connection, channel }
    } catch (error) {
      this.opening = null
      throw error
    }
  }

  private async reset(): Promise<void> {
    const opening = this.opening
    this.opening = null
    const open = await opening?.catch(() => null)
    await open?.connection.close().catch(() => undefined)
  }
}

export class RabbitMqConsumer implements ChangeConsumer {
  private closed = false
  private connection: ChannelModel | null = null
  private readonly running: Promise<void>

  constructor(
    private readonly url: string,
    private readonly prefetch: number,
    private readonly handlers: ConsumerHandlers,
  ) {
    this.running = this.loop()
  }

  async close(): Promise<void> {
    this.closed = true
    await this.connection?.close().catch(() => undefined)
    await this.running
  }

  private async loop(): Promise<void> {
    let delay = RECONNECT_MIN_MS
    while (!this.closed) {
      try {
        await this.consumeUntilDisconnected()
        delay = RECONNECT_MIN_MS
      } catch (error) {
        this.handlers.state(false, `cannot consume from ${redact(this.url)}: ${error instanceof Error ? error.message : String(error)}`)
      }
      if (this.closed) break
      await new Promise((resolve) => setTimeout(resolve, delay))
      delay = Math.min(delay * 2, RECONNECT_MAX_MS)
    }
  }

  private async consumeUntilDisconnected(): Promise<void> {
    const connection = await connect(this.url, { timeout: CONNECT_TIMEOUT_MS })
    this.connection = connection
    const disconnected = new Promise<void>((resolve) => connection.on('close', () => resolve()))
    connection.on('error', () => undefined)
    if (this.closed) {
      await connection.close().catch(() => undefined)
      return
    }
    const channel: Channel = await connection.createChannel()
    channel.on('error', () => undefined)
    await channel.assertQueue(CHANGES_CHANNEL, { durable: true })
    await channel.prefetch(this.prefetch)
    await channel.consume(CHANGES_CHANNEL, (message) => {
      if (message === null) {
        // The broker cancelled the consumer (queue deleted): reconnect to declare it again.
        void connection.close().catch(() => undefined)
        return
      }
      let parsed: ReturnType<typeof changeEventSchema.safeParse>
      try {
        parsed = changeEventSchema.safeParse(JSON.parse(message.content.toString('utf8')))
      } catch {
        this.handlers.rejected('a message that is not JSON')
        channel.nack(message, false, false)
        return
      }
      if (!parsed.success) {
        this.handlers.rejected(`a message that is not a change event: ${parsed.error.issues[0]?.message ?? ''}`)
        channel.nack(message, false, false)
        return
      }
      this.handlers.apply(parsed.data).then(
        () => tryAck(channel, message),
        // Not applied (our store failed): the broker redelivers it, after this connection ends at the latest.
        () => void connection.close().catch(() => undefined),
      )
    })
    this.handlers.state(true, `consuming ${CHANGES_CHANNEL} from ${redact(this.url)}`)
    await disconnected
    this.connection = null
    if (!this.closed) this.handlers.state(false, `connection to ${redact(this.url)} closed`)
  }
}

function tryAck(channel: Channel, message: Parameters<Channel['ack']>[0]): void {
  try {
    channel.ack(message)
  } catch {
    // The channel closed meanwhile: the broker redelivers the message, which is then a duplicate.
  }
}

function redact(url: string): string {
  const u = new URL(url)
  u.password = u.password ? '***' : ''
  return u.toString()
}
