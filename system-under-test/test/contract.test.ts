import { afterAll, describe, expect, it } from 'vitest'
import { balancerCommand } from '../src/balancer/balancer-cli.js'
import { createBalancerMetrics } from '../src/balancer/balancer-metrics.js'
import { createEngineMetrics } from '../src/balancer/engines/engine-counters.js'
import {
  ADMIN_LINE,
  adminLine,
  BALANCER_METRICS,
  BALANCER_STRATEGIES,
  balancerArgs,
  CHOICE_KINDS,
  downstreamArgs,
  LISTENING_LINE,
  listeningLine,
  PARTITION_STRATEGIES,
  replicaArgs,
  SERVICE_TIME_PATTERN,
  SHARD_METRICS,
  shardArgs,
  SYNC_BROKERS,
} from '../src/contract/index.js'
import { downstreamCommand, toDownstreamOptions } from '../src/downstream/downstream-cli.js'
import { BROKER_SCHEMES } from '../src/sync/brokers/change-broker.js'
import { replicaCommand, toReplicaOptions } from '../src/replica/replica-cli.js'
import { startShardServer, type RunningShardServer } from '../src/storage/embedded-shard-server.js'
import { shardCommand } from '../src/storage/shard-cli.js'
import { createBalancer } from '../src/strategies/balancer/balancer-registry.js'
import { createPartitionStrategy } from '../src/strategies/partition/partition-registry.js'
import { parseServiceTime } from '../src/capacity/create-capacity-model.js'

// The contract is what the harness relies on without importing the service's code: the command
// lines it builds, the ready lines it waits for, the metric names it scrapes. These tests check
// the service's side against the contract's, so the two cannot drift apart.

/** Parses a role's arguments (without the role name) with the role's own commander command. */
function parse(command: ReturnType<typeof shardCommand>, args: string[]) {
  command.configureOutput({ writeErr: () => {}, writeOut: () => {} })
  command.parse(args, { from: 'user' })
  return command.opts()
}

const capacity = { serviceTime: 'exp:2.5', slots: 3, queueLimit: 7 }

const replicaArgsBase = {
  port: 8103,
  name: 'replica-2',
  shardUrls: ['http://127.0.0.1:7101'],
  store: 'embedded',
  partition: 'single',
  rangeStart: '2025-01-01T00:00:00.000Z',
  rangeEnd: '2026-01-01T00:00:00.000Z',
  cache: { strategy: 'none', size: 10, ttlMs: 0, writePolicy: 'invalidate' },
} as const

describe('the contract: role command lines', () => {
  it('the shard role parses what shardArgs builds', () => {
    const args = shardArgs({ host: '0.0.0.0', port: 7101, shardIndex: 2, durability: { level: 'always', dataFile: '/tmp/shard-2.aof' }, capacity })
    expect(args[0]).toBe('shard')
    expect(parse(shardCommand(), args.slice(1))).toMatchObject({
      host: '0.0.0.0',
      port: 7101,
      shardIndex: 2,
      durability: 'always',
      dataFile: '/tmp/shard-2.aof',
      serviceTime: { kind: 'exponential', meanMs: 2.5 },
      slots: 3,
      queueLimit: 7,
    })
    // Sync strategy queue-push: the shard drains its outbox to the broker.
    const publishing = shardArgs({ port: 7102, shardIndex: 0, publishTo: 'amqp://guest:guest@127.0.0.1:5673', publishBatch: 64 })
    expect(parse(shardCommand(), publishing.slice(1))).toMatchObject({ publishTo: 'amqp://guest:guest@127.0.0.1:5673', publishBatch: 64 })
    expect(shardArgs({ port: 0, shardIndex: 0, publishTo: null })).not.toContain('--publish-to')
    // Memory only: no log flags at all (the shard refuses --data-file without a durable level).
    expect(shardArgs({ port: 0, shardIndex: 0, durability: { level: 'none', dataFile: '/tmp/x' } })).not.toContain('--data-file')
  })

  it('the replica role parses what replicaArgs builds into the options it was given', () => {
    const rangeStart = new Date('2025-01-01T00:00:00Z')
    const rangeEnd = new Date('2026-01-01T00:00:00Z')
    const args = replicaArgs({
      port: 8101,
      name: 'replica-3',
      shardUrls: ['http://127.0.0.1:7101', 'http://127.0.0.1:7102'],
      store: 'embedded',
      partition: 'range',
      rangeStart,
      rangeEnd,
      cache: { strategy: 'redis', size: 123, ttlMs: 4567, writePolicy: 'write-through' },
      redisUrl: 'redis://127.0.0.1:6390',
      capacity,
    })
    expect(args[0]).toBe('replica')
    const options = toReplicaOptions(parse(replicaCommand(), args.slice(1)) as Parameters<typeof toReplicaOptions>[0])
    expect(options).toMatchObject({
      port: 8101,
      name: 'replica-3',
      shards: ['http://127.0.0.1:7101', 'http://127.0.0.1:7102'],
      store: 'embedded',
      partition: 'range',
      rangeStartMs: rangeStart.getTime(),
      rangeEndMs: rangeEnd.getTime(),
      cache: 'redis',
      cacheSize: 123,
      cacheTtlMs: 4567,
      writePolicy: 'write-through',
      redisUrl: 'redis://127.0.0.1:6390',
      capacity: { serviceTime: { kind: 'exponential', meanMs: 2.5 }, slots: 3, queueLimit: 7 },
    })
  })

  it('the replica role parses the memcached server and the sync-call downstream replicaArgs builds', () => {
    const args = replicaArgs({
      port: 8102,
      name: 'replica-1',
      shardUrls: ['http://127.0.0.1:7101'],
      store: 'embedded',
      partition: 'single',
      rangeStart: '2025-01-01T00:00:00.000Z',
      rangeEnd: '2026-01-01T00:00:00.000Z',
      cache: { strategy: 'memcached', size: 10, ttlMs: 0, writePolicy: 'invalidate' },
      memcachedServer: '127.0.0.1:11299',
      syncCall: { url: 'http://127.0.0.1:9100', timeoutMs: 750 },
    })
    const options = toReplicaOptions(parse(replicaCommand(), args.slice(1)) as Parameters<typeof toReplicaOptions>[0])
    expect(options).toMatchObject({ cache: 'memcached', memcachedServer: '127.0.0.1:11299', syncCallUrl: 'http://127.0.0.1:9100', syncCallTimeoutMs: 750 })
    const plain = replicaArgs({ ...replicaArgsBase, memcachedServer: null, syncCall: null })
    expect(plain).not.toContain('--memcached')
    expect(plain).not.toContain('--sync-call')
  })

  it('the downstream role parses what downstreamArgs builds, for each way changes reach it', () => {
    const options = (args: string[]) => toDownstreamOptions(parse(downstreamCommand(), args.slice(1)) as Parameters<typeof toDownstreamOptions>[0])
    const consuming = downstreamArgs({ port: 9100, dataFile: '/tmp/downstream.aof', consume: 'amqp://guest:guest@127.0.0.1:5673', batch: 50 })
    expect(consuming[0]).toBe('downstream')
    expect(options(consuming)).toMatchObject({ port: 9100, dataFile: '/tmp/downstream.aof', consumeFrom: 'amqp://guest:guest@127.0.0.1:5673', batch: 50 })
    const pulling = downstreamArgs({ port: 9101, pullFrom: ['http://127.0.0.1:8101', 'http://127.0.0.1:8102'], intervalMs: 250 })
    expect(options(pulling)).toMatchObject({ port: 9101, pullFrom: ['http://127.0.0.1:8101', 'http://127.0.0.1:8102'], intervalMs: 250 })
    const calledOnly = options(downstreamArgs({ port: 0 }))
    expect(calledOnly).not.toHaveProperty('consumeFrom')
    expect(calledOnly).not.toHaveProperty('pullFrom')
  })

  it('the balancer role parses what balancerArgs builds', () => {
    const args = balancerArgs({
      port: 9101,
      adminPort: 9102,
      strategy: 'weighted-round-robin',
      engine: 'haproxy',
      backendUrls: ['http://127.0.0.1:8101', 'http://127.0.0.1:8102'],
      weights: [3, 1],
    })
    expect(args[0]).toBe('balancer')
    expect(parse(balancerCommand(), args.slice(1))).toMatchObject({
      port: 9101,
      adminPort: 9102,
      strategy: 'weighted-round-robin',
      engine: 'haproxy',
      backends: ['http://127.0.0.1:8101', 'http://127.0.0.1:8102'],
      weights: [3, 1],
    })
  })

  it('every choice the contract names is a value its role flag accepts', () => {
    const flagsOf = (c: ReturnType<typeof shardCommand>) => new Map(c.options.map((o) => [o.long, o.argChoices]))
    const accepted = new Map([...flagsOf(shardCommand()), ...flagsOf(replicaCommand()), ...flagsOf(balancerCommand())])
    for (const kind of CHOICE_KINDS) {
      if (kind.flag !== null) expect(accepted.get(kind.flag), `${kind.flag} (${kind.label})`).toEqual([...kind.names])
      // Every name is explained, for doctor and the report.
      for (const name of kind.names) expect(kind.info[name]?.about, `${kind.label} ${name}`).toBeTruthy()
    }
  })

  it('the sync brokers the contract names are the brokers the service knows by URL scheme', () => {
    expect([...SYNC_BROKERS].sort()).toEqual(Object.values(BROKER_SCHEMES).sort())
  })

  it('the service builds a strategy for every balancer and partition name the contract lists', () => {
    for (const name of BALANCER_STRATEGIES) expect(createBalancer(name).name).toBe(name)
    for (const name of PARTITION_STRATEGIES) expect(createPartitionStrategy(name, { shardCount: 2 }).name).toBe(name)
  })

  it('the service-time pattern accepts exactly what --service-time parses', () => {
    for (const value of ['off', 'constant:5', 'exp:2.5', 'constant:0']) {
      expect(SERVICE_TIME_PATTERN.test(value), value).toBe(true)
      expect(() => parseServiceTime(value)).not.toThrow()
    }
    for (const value of ['constant', 'exp:-1', 'uniform:5', 'constant:5ms', '']) expect(SERVICE_TIME_PATTERN.test(value), value).toBe(false)
  })
})

describe('the contract: ready lines', () => {
  it('the lines a role prints are the lines a launcher matches', () => {
    expect(LISTENING_LINE.exec(listeningLine('http://127.0.0.1:8101'))?.[1]).toBe('http://127.0.0.1:8101')
    expect(ADMIN_LINE.exec(adminLine('http://127.0.0.1:9102'))?.[1]).toBe('http://127.0.0.1:9102')
    expect(LISTENING_LINE.test(adminLine('http://127.0.0.1:9102'))).toBe(false)
  })
})

describe('the contract: metric names', () => {
  let shard: RunningShardServer | undefined
  afterAll(async () => {
    await shard?.close()
  })

  it('the built-in balancer and the HAProxy/nginx engines serve the same names, the contract’s', async () => {
    const builtin = createBalancerMetrics(() => [{ url: 'http://127.0.0.1:1', inFlight: 0, up: true }])
    const builtinNames = (await builtin.registry.getMetricsAsJSON()).map((m) => m.name).sort()
    expect(builtinNames).toEqual(Object.values(BALANCER_METRICS).sort())
    const engine = createEngineMetrics()
    const page = await engine.scrape({ backends: [], errors: new Map(), retries: 0 })
    const engineNames = [...page.body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1])
    // The engines cannot tell "no backend eligible" apart from other 503s: every other name is served.
    expect(engineNames.sort()).toEqual(
      Object.values(BALANCER_METRICS)
        .filter((n) => n !== BALANCER_METRICS.noBackend)
        .sort(),
    )
  })

  it('a shard server serves every name the contract lists for it', async () => {
    shard = await startShardServer({
      host: '127.0.0.1',
      port: 0,
      shardIndex: 0,
      capacity: { serviceTime: { kind: 'off' }, slots: 1, queueLimit: 0, slowdown: 1 },
    })
    const text = await (await fetch(`${shard.url}/metrics`)).text()
    const served = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]))
    for (const name of Object.values(SHARD_METRICS)) expect(served, name).toContain(name)
  })
})
