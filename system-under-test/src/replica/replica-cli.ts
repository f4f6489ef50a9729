import { Command, Option } from 'commander'
import { startWithAdminToken } from '../admin/admin-token.js'
import { capacityFromFlags, capacityOptions, type CapacityFlags } from '../cli/capacity-flags.js'
import { dateFlag, intFlag } from '../cli/flag-parsers.js'
import { parseRoleFlags, serveRole, startOnPort } from '../cli/serve-role.js'
import { ConfigurationError } from '../config/configuration-error.js'
import { listeningLine } from '../contract/ready-lines.js'
import { CACHE_STRATEGIES, WRITE_POLICIES, type CacheStrategyName, type WritePolicy } from '../strategies/cache/cache.js'
import { DEFAULT_VIRTUAL_NODES } from '../strategies/partition/partition-registry.js'
import { PARTITION_STRATEGIES, type PartitionStrategyName } from '../strategies/partition/partition-strategy.js'
import { defaultRangeWindow } from '../strategies/partition/range-partition.js'
import { SHARD_STORES, type ReplicaOptions, type ShardStoreKind } from './replica-options.js'
import { startReplica } from './start-replica.js'

// `main.js replica [flags]`: flags (src/contract/CONTRACT.md) -> validated ReplicaOptions -> a listening
// replica. Prints exactly one `LISTENING <url>` line on stdout when ready; bad flags exit 2 with a
// message naming the flag; SIGTERM/SIGINT close gracefully and exit 0.

/** Builds the `replica` command; exported so `--help` text can be tested without a process. */
export function replicaCommand(): Command {
  const window = defaultRangeWindow()
  const command = new Command('replica')
    .description('Start a CRM replica (REST API) over the given shards.')
    .addOption(new Option('--host <host>', 'interface to bind').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'port to listen on (0 = any free port)').default(0).argParser(intFlag('--port', 0, 65535)))
    .addOption(new Option('--name <replica-name>', 'name sent as X-Replica (default: replica-<port>)'))
    .addOption(
      new Option(
        '--shards <urls>',
        '(required) comma-separated shard URLs in shard order: http://127.0.0.1:7001,... (embedded) or postgres://... (postgres)',
      ).makeOptionMandatory(),
    )
    .addOption(new Option('--store <kind>', 'shard store').choices(SHARD_STORES).default('embedded'))
    .addOption(new Option('--partition <strategy>', 'partition strategy').choices(PARTITION_STRATEGIES).default('hash'))
    .addOption(
      new Option('--virtual-nodes <n>', 'consistent-hash: virtual nodes per shard')
        .default(DEFAULT_VIRTUAL_NODES)
        .argParser(intFlag('--virtual-nodes', 1, 10_000)),
    )
    .addOption(
      new Option('--range-start <ISO date>', 'range: start of the time window the first N-1 shards split')
        .default(window.rangeStartMs, 'UTC midnight 365 days ago')
        .argParser(dateFlag('--range-start')),
    )
    .addOption(
      new Option('--range-end <ISO date>', 'range: end of that window; the last shard takes newer customers')
        .default(window.rangeEndMs, 'UTC midnight today')
        .argParser(dateFlag('--range-end')),
    )
    .addOption(new Option('--cache <strategy>', 'read cache').choices(CACHE_STRATEGIES).default('none'))
    .addOption(new Option('--cache-size <n>', 'max entries of lru/lfu/ttl').default(10_000).argParser(intFlag('--cache-size', 1)))
    .addOption(
      new Option('--cache-ttl-ms <ms>', 'entry lifetime for ttl, redis and memcached (0 = none for redis and memcached; memcached rounds up to whole seconds)')
        .default(30_000)
        .argParser(intFlag('--cache-ttl-ms', 0)),
    )
    .addOption(new Option('--write-policy <policy>', 'what a write does to the cache').choices(WRITE_POLICIES).default('invalidate'))
    .addOption(new Option('--redis <url>', 'redis URL, required by --cache redis (e.g. redis://127.0.0.1:6379)'))
    .addOption(new Option('--memcached <host:port>', 'memcached server, required by --cache memcached (e.g. 127.0.0.1:11211)'))
    .addOption(
      new Option('--sync-call <url>', 'sync strategy sync-call: send every customer change to this downstream (http://...) before acknowledging the write'),
    )
    .addOption(
      new Option('--sync-call-timeout-ms <ms>', 'how long a sync call may take before the write fails with 503 downstream_unavailable')
        .default(2_000)
        .argParser(intFlag('--sync-call-timeout-ms', 1, 600_000)),
    )
  for (const option of capacityOptions()) command.addOption(option)
  return command
    .addHelpText('after', '\nAdmin token for /admin: LOADLAB_ADMIN_TOKEN (unset: a token is generated and its file named on stderr).')
    .exitOverride()
    .showHelpAfterError('(run with --help for every flag and its default)')
}

interface ParsedFlags extends CapacityFlags {
  host: string
  port: number
  name?: string
  shards: string
  store: ShardStoreKind
  partition: PartitionStrategyName
  virtualNodes: number
  rangeStart: number
  rangeEnd: number
  cache: CacheStrategyName
  cacheSize: number
  cacheTtlMs: number
  writePolicy: WritePolicy
  redis?: string
  memcached?: string
  syncCall?: string
  syncCallTimeoutMs: number
}

/** Cross-flag checks; throws a ConfigurationError naming the flag to fix. */
export function toReplicaOptions(flags: ParsedFlags): ReplicaOptions {
  const shards = flags.shards
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (shards.length === 0) throw new ConfigurationError('--shards is empty: give at least one shard URL, like --shards http://127.0.0.1:7001')
  const protocols = flags.store === 'postgres' ? ['postgres:', 'postgresql:'] : ['http:']
  for (const shard of shards) {
    let protocol: string
    try {
      protocol = new URL(shard).protocol
    } catch {
      throw new ConfigurationError(`--shards: "${shard}" is not a URL`)
    }
    if (!protocols.includes(protocol)) {
      throw new ConfigurationError(
        flags.store === 'postgres'
          ? `--shards: "${shard}" is not a postgres:// URL, which --store postgres requires (one database per shard)`
          : `--shards: "${shard}" is not an http:// shard server URL; for PostgreSQL pass --store postgres`,
      )
    }
  }
  if (new Set(shards).size !== shards.length) throw new ConfigurationError('--shards lists a shard twice: list each shard once')
  if (flags.cache === 'redis' && flags.redis === undefined)
    throw new ConfigurationError('--cache redis needs --redis <url>, like --redis redis://127.0.0.1:6379')
  if (flags.redis !== undefined && !/^rediss?:\/\//.test(flags.redis)) throw new ConfigurationError(`--redis: "${flags.redis}" is not a redis:// URL`)
  if (flags.cache === 'memcached' && flags.memcached === undefined)
    throw new ConfigurationError('--cache memcached needs --memcached <host:port>, like --memcached 127.0.0.1:11211')
  if (flags.memcached !== undefined && !/^[^\s:/]+:\d{1,5}$/.test(flags.memcached)) {
    throw new ConfigurationError(`--memcached: "${flags.memcached}" is not host:port, like 127.0.0.1:11211`)
  }
  if (flags.syncCall !== undefined && !/^https?:\/\/[^/]/.test(flags.syncCall))
    throw new ConfigurationError(`--sync-call: "${flags.syncCall}" is not an http:// URL of a downstream system, like --sync-call http://127.0.0.1:9100`)
  if (!(flags.rangeEnd > flags.rangeStart)) throw new ConfigurationError('--range-end must be after --range-start')
  return {
    host: flags.host,
    port: flags.port,
    ...(flags.name === undefined ? {} : { name: flags.name }),
    shards,
    store: flags.store,
    partition: flags.partition,
    virtualNodes: flags.virtualNodes,
    rangeStartMs: flags.rangeStart,
    rangeEndMs: flags.rangeEnd,
    cache: flags.cache,
    cacheSize: flags.cacheSize,
    cacheTtlMs: flags.cacheTtlMs,
    writePolicy: flags.writePolicy,
    ...(flags.redis === undefined ? {} : { redisUrl: flags.redis }),
    ...(flags.memcached === undefined ? {} : { memcachedServer: flags.memcached }),
    ...(flags.syncCall === undefined ? {} : { syncCallUrl: flags.syncCall, syncCallTimeoutMs: flags.syncCallTimeoutMs }),
    capacity: capacityFromFlags(flags),
  }
}

/** Entry point of the `replica` role; `argv` are the arguments after the role name. */
export async function runReplicaCli(argv: string[]): Promise<void> {
  const options = parseRoleFlags(replicaCommand(), argv, toReplicaOptions)
  await serveRole({
    role: 'replica',
    // Flag values the strategies refuse throw a ConfigurationError naming the flag (exit 2).
    start: () => startWithAdminToken('replica', (adminToken) => startOnPort(options.port, () => startReplica({ ...options, adminToken }))),
    readyLines: (replica) => [listeningLine(replica.url)],
    describeClosing: (signal, replica) => `${signal}: closing replica ${replica.name}`,
  })
}
