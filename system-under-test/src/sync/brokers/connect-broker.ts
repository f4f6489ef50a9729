import { brokerOf, type ChangeConsumer, type ChangePublisher, type ConsumerHandlers } from './change-broker.js'

// Opens the broker a URL names. Each broker's client is loaded only when that broker is used (a
// shard without --publish-to never loads amqplib).

export async function createPublisher(url: string): Promise<ChangePublisher> {
  brokerOf(url, '--publish-to')
  const { RabbitMqPublisher } = await import('./rabbitmq-broker.js')
  return new RabbitMqPublisher(url)
}

export async function startConsumer(url: string, prefetch: number, handlers: ConsumerHandlers): Promise<ChangeConsumer> {
  brokerOf(url, '--consume')
  const { RabbitMqConsumer } = await import('./rabbitmq-broker.js')
  return new RabbitMqConsumer(url, prefetch, handlers)
}
