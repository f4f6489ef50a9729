import { ConfigurationError } from '../../config/configuration-error.js'
import type { ChangeEvent } from '../change-event.js'

// What the outbox publisher (in a shard) and the downstream consumer need of a message broker.
// The broker is named by its URL's scheme: amqp:// is RabbitMQ, kafka://host:port is Apache
// Kafka (its bootstrap broker). connect-broker.ts opens one.

export const BROKER_SCHEMES = { 'amqp:': 'rabbitmq', 'kafka:': 'kafka' } as const
export type BrokerName = (typeof BROKER_SCHEMES)[keyof typeof BROKER_SCHEMES]

/** The queue (or topic) every shard publishes customer changes to. */
export const CHANGES_CHANNEL = 'loadlab.customer-changes'

export interface ChangePublisher {
  /** Called by the outbox publisher with the next changes, in feed order; resolves once the broker has them durably, rejects otherwise (then they are sent again). */
  publish(events: readonly ChangeEvent[]): Promise<void>
  /** Called on shutdown. */
  close(): Promise<void>
}

export interface ConsumerHandlers {
  /** Called for each change in delivery order; the message is acknowledged once the promise resolves (at-least-once). */
  apply(event: ChangeEvent): Promise<void>
  /** Called for a message that is not a change event: it is dropped (never redelivered) and counted. */
  rejected(reason: string): void
  /** Called when the connection to the broker comes up or goes down (logs, metrics). */
  state(connected: boolean, detail: string): void
}

export interface ChangeConsumer {
  /** Called on shutdown: stops consuming; unacknowledged messages go back to the broker. */
  close(): Promise<void>
}

/** Which broker a URL names; a ConfigurationError naming `flag` for any other. */
export function brokerOf(url: string, flag: string): BrokerName {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConfigurationError(`${flag} "${url}" is not a URL: use amqp://guest:guest@127.0.0.1:5672 (RabbitMQ) or kafka://127.0.0.1:9092 (Kafka)`)
  }
  const broker = (BROKER_SCHEMES as Record<string, BrokerName>)[parsed.protocol]
  if (broker === undefined)
    throw new ConfigurationError(`${flag} "${url}": unknown broker scheme ${parsed.protocol} (use amqp:// for RabbitMQ, kafka:// for Kafka)`)
  if (broker === 'kafka' && (parsed.port === '' || parsed.pathname.replace(/^\/$/, '') !== '')) {
    throw new ConfigurationError(`${flag} "${url}": a Kafka URL names its bootstrap broker and nothing else: kafka://127.0.0.1:9092`)
  }
  return broker
}
