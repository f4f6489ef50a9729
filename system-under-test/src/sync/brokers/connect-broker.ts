import { brokerOf, type ChangeConsumer, type ChangePublisher, type ConsumerHandlers } from './change-broker.js'

// Opens the broker a URL names. Each broker's client is loaded only when that broker is used (a
// shard without --publish-to loads neither amqplib nor kafkajs).

export async function createPublisher(url: string): Promise<ChangePublisher> {
  if (brokerOf(url, '--publish-to') === 'kafka') {
    const { KafkaPublisher } = await import('./kafka-broker.js')
    return new KafkaPublisher(url)
  }
  const { RabbitMqPublisher } = await import('./rabbitmq-broker.js')
  return new RabbitMqPublisher(url)
}

export async function startConsumer(url: string, prefetch: number, handlers: ConsumerHandlers): Promise<ChangeConsumer> {
  if (brokerOf(url, '--consume') === 'kafka') {
    const { KafkaConsumer } = await import('./kafka-broker.js')
    return new KafkaConsumer(url, prefetch, handlers)
  }
  const { RabbitMqConsumer } = await import('./rabbitmq-broker.js')
  return new RabbitMqConsumer(url, prefetch, handlers)
}
