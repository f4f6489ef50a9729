import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { KAFKA_POM, KAFKA_VERSION, kafkaClassPath, newClusterId, writeKafkaConfig } from './kafka-server.js'

describe('the Kafka broker of the local environment', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-kafka-config-'))
  const libsBefore = process.env.LOADLAB_KAFKA_LIBS
  afterEach(() => {
    if (libsBefore === undefined) delete process.env.LOADLAB_KAFKA_LIBS
    else process.env.LOADLAB_KAFKA_LIBS = libsBefore
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('fetches (pom) the version it runs', () => {
    expect(readFileSync(KAFKA_POM, 'utf8')).toContain(`<kafka.version>${KAFKA_VERSION}</kafka.version>`)
  })

  it('configures every listener, the controller too, on 127.0.0.1 and its log in the run folder', () => {
    const properties = readFileSync(writeKafkaConfig(dir, { broker: 9092, controller: 9093 }), 'utf8')
    expect(properties).toContain('listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093\n')
    expect(properties).toContain('controller.quorum.voters=1@127.0.0.1:9093\n')
    expect(properties).toContain(`log.dirs=${path.join(dir, 'data')}\n`)
  })

  it('draws a cluster id the storage tool cannot take for an option (never starting with "-")', () => {
    // 0xfb encodes to "-" first in URL-safe base64: the first draw is refused, the second kept.
    const draws = [Buffer.alloc(16, 0xfb), Buffer.alloc(16, 0x01)]
    const id = newClusterId(() => draws.shift()!)
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'))
    expect(draws).toEqual([])
    expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
  })

  it('without its jars, says which command fetches them', () => {
    process.env.LOADLAB_KAFKA_LIBS = path.join(dir, 'no-jars-here')
    expect(() => kafkaClassPath()).toThrow(
      new RegExp(
        `Apache Kafka ${KAFKA_VERSION.replace(/\./g, '\\.')}'s jars are not in .*no-jars-here; fetch them from Maven Central with \\.ci/install-deps \\(or: mvn -q -f .*pom\\.xml dependency:copy-dependencies`,
      ),
    )
  })
})
