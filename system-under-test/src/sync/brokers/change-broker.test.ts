import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../config/configuration-error.js'
import { brokerOf } from './change-broker.js'

describe('brokerOf: the broker a --publish-to / --consume URL names', () => {
  it('amqp:// is RabbitMQ, kafka://host:port is Kafka', () => {
    expect(brokerOf('amqp://guest:guest@127.0.0.1:5672', '--consume')).toBe('rabbitmq')
    expect(brokerOf('kafka://127.0.0.1:9092', '--publish-to')).toBe('kafka')
  })

  it('anything else names the flag and the accepted forms', () => {
    expect(() => brokerOf('nats://127.0.0.1:4222', '--consume')).toThrow(ConfigurationError)
    expect(() => brokerOf('nats://127.0.0.1:4222', '--consume')).toThrow(
      /--consume "nats:\/\/127.0.0.1:4222": unknown broker scheme nats: \(use amqp:\/\/ for RabbitMQ, kafka:\/\/ for Kafka\)/,
    )
    expect(() => brokerOf('127.0.0.1:9092', '--publish-to')).toThrow(/kafka:\/\/127.0.0.1:9092 \(Kafka\)/)
    // A Kafka URL is its bootstrap broker: a missing port or a path is a mistake, not ignored.
    expect(() => brokerOf('kafka://127.0.0.1', '--publish-to')).toThrow(
      /--publish-to "kafka:\/\/127.0.0.1": a Kafka URL names its bootstrap broker and nothing else/,
    )
    expect(() => brokerOf('kafka://127.0.0.1:9092/changes', '--publish-to')).toThrow(/nothing else: kafka:\/\/127.0.0.1:9092/)
  })
})
