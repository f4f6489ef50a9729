import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { EnvironmentError } from './environment.js'
import { withParentDeathSignal } from './parent-death.js'

// How the local environment runs Apache Kafka for sync strategy queue-push with broker kafka: one
// JVM in KRaft mode (broker and controller in one node, no ZooKeeper), both listeners on
// 127.0.0.1, its log and metadata in the run folder. The jars come from Maven Central
// (org.apache.kafka:kafka_2.13 and what it depends on), fetched by .ci/install-deps into the
// repository's git-ignored .cache folder.
//
// Version 3.9: kafkajs (the client) was last released in 2023, before Kafka 4.0 removed old
// protocol versions (KIP-896); 3.9 is the last line that keeps them all and runs KRaft combined
// mode, and the version the tests run kafkajs against.

export const KAFKA_VERSION = '3.9.1'
export const KAFKA_READY = /Kafka Server started/
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** The Maven project that names the broker's artifacts; .ci/install-deps copies them to kafkaLibDir(). */
export const KAFKA_POM = path.join(REPO_ROOT, '.ci', 'kafka-broker', 'pom.xml')
/**
 * Small heap: the broker holds a few MB of changes; the machine also runs the CRM and the load.
 * The client compiler only (TieredStopAtLevel=1) and the serial collector: a broker that starts
 * (and restarts after a fault) in fewer CPU-seconds, at a throughput far above these loads.
 */
const JVM_FLAGS = ['-Xmx256m', '-Xms64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true']

export interface KafkaPorts {
  broker: number
  controller: number
}

/** Where the broker's jars are: LOADLAB_KAFKA_LIBS, else .cache/kafka-<version>/libs in the repository. */
export function kafkaLibDir(): string {
  return process.env.LOADLAB_KAFKA_LIBS ?? path.join(REPO_ROOT, '.cache', `kafka-${KAFKA_VERSION}`, 'libs')
}

/** The command that fetches the jars, for messages. */
export function fetchKafkaCommand(): string {
  return `.ci/install-deps (or: mvn -q -f ${path.relative(process.cwd(), KAFKA_POM) || KAFKA_POM} dependency:copy-dependencies -DoutputDirectory=${kafkaLibDir()})`
}

/** The jars' class path, or an EnvironmentError naming the command that fetches them. */
export function kafkaClassPath(): string {
  const dir = kafkaLibDir()
  const jars = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jar')) : []
  if (!jars.some((j) => j.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
    throw new EnvironmentError(
      `broker kafka: Apache Kafka ${KAFKA_VERSION}'s jars are not in ${dir}; fetch them from Maven Central with ${fetchKafkaCommand()}`,
    )
  }
  return path.join(dir, '*')
}

/** The java program, or an EnvironmentError: the broker runs on the machine's Java (17 or newer). */
export function findJava(): string {
  const javaHome = process.env.JAVA_HOME
  if (javaHome && existsSync(path.join(javaHome, 'bin', 'java'))) return path.join(javaHome, 'bin', 'java')
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'java'))) return path.join(dir, 'java')
  }
  throw new EnvironmentError('broker kafka needs Java 17 or newer: install it (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME')
}

/** Writes server.properties and log4j.properties for a broker whose files live under `dir`; returns the properties file. */
export function writeKafkaConfig(dir: string, ports: KafkaPorts): string {
  mkdirSync(dir, { recursive: true })
  const properties = path.join(dir, 'server.properties')
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${ports.controller}`,
      // Every listener on loopback, the controller's too: nothing of this broker is reachable from elsewhere.
      `listeners=PLAINTEXT://127.0.0.1:${ports.broker},CONTROLLER://127.0.0.1:${ports.controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.broker}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      'num.partitions=1',
      // One node: internal topics cannot have more replicas; one offsets partition starts faster.
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      // The downstream consumer's 3 s session (the broker's default minimum is 6 s): a killed
      // downstream's partition is handed to its restarted process that much sooner.
      'group.min.session.timeout.ms=1000',
      // A restarted node must wait for its previous incarnation's registration to expire before
      // it serves (9 s by default): shorter, so a restart fault costs the JVM's start, not more.
      // The broker heartbeats its controller inside the same JVM, so a busy machine does not fence it.
      'broker.session.timeout.ms=3000',
      'broker.heartbeat.interval.ms=500',
      '',
    ].join('\n'),
  )
  writeFileSync(
    path.join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=INFO, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'),
  )
  return properties
}

/** The JVM arguments shared by the storage tool and the broker. */
function jvmArgs(dir: string, classPath: string): string[] {
  return [...JVM_FLAGS, `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`, '-cp', classPath]
}

/** The broker's argv after `java`. */
export function kafkaArgs(dir: string, classPath: string, properties: string): string[] {
  return [...jvmArgs(dir, classPath), 'kafka.Kafka', properties]
}

/** The storage tool's argv after `java`: formats the broker's log directory for cluster `clusterId`. */
export function kafkaFormatArgs(dir: string, classPath: string, properties: string, clusterId: string): string[] {
  return [...jvmArgs(dir, classPath), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties]
}

/**
 * A random KRaft cluster id: 16 bytes, URL-safe base64, never starting with '-' (the storage
 * tool's argument parser would take it for an option and fail one start in 64; Kafka's own
 * Uuid.randomUuid() draws again for the same reason).
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

/**
 * Formats the broker's log directory with a fresh cluster id (what `kafka-storage.sh format`
 * does), as KRaft needs before the first start. The JVM gets SIGKILL if the harness dies meanwhile.
 */
export async function formatKafkaStorage(java: string, dir: string, classPath: string, properties: string, signal: AbortSignal): Promise<void> {
  const { command, args } = withParentDeathSignal(java, kafkaFormatArgs(dir, classPath, properties, newClusterId()), 'SIGKILL')
  try {
    await promisify(execFile)(command, args, { signal, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    const detail = error instanceof Error ? (error as { stderr?: string }).stderr || error.message : String(error)
    throw new EnvironmentError(`broker kafka: formatting its storage in ${dir} failed: ${detail.trim().split('\n').slice(-5).join(' | ')}`)
  }
}

export function kafkaUrl(ports: KafkaPorts): string {
  return `kafka://127.0.0.1:${ports.broker}`
}
