import path from 'node:path'
import { Command, Option } from 'commander'
import { startWithAdminToken } from '../admin/admin-token.js'
import { capacityFromFlags, capacityOptions, type CapacityFlags } from '../cli/capacity-flags.js'
import { intFlag } from '../cli/flag-parsers.js'
import { parseRoleFlags, serveRole, startOnPort } from '../cli/serve-role.js'
import { ConfigurationError } from '../config/configuration-error.js'
import { DURABILITY_LEVELS, type Durability } from './append-only-log.js'
import { listeningLine } from '../contract/ready-lines.js'
import { brokerOf } from '../sync/brokers/change-broker.js'
import { startShardServer } from './embedded-shard-server.js'
import { LoggedShardStore } from './logged-shard-store.js'

// `main.js shard [flags]`: an embedded shard server. Prints exactly one `LISTENING <url>` line on
// stdout when it serves; bad flags exit 2 with a message naming the flag; SIGTERM/SIGINT close
// gracefully and exit 0.

interface ShardFlags extends CapacityFlags {
  host: string
  port: number
  shardIndex: number
  durability: Durability
  dataFile?: string
  publishTo?: string
  publishBatch: number
}

/** Builds the `shard` command; exported so its `--help` can be tested without a process. */
export function shardCommand(): Command {
  const command = new Command('shard')
    .description('Start an embedded shard server: one shard of CRM data in memory, served over HTTP.')
    .addOption(new Option('--host <host>', 'interface to bind').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'port to listen on (0 = any free port)').default(7001).argParser(intFlag('--port', 0, 65535)))
    .addOption(
      new Option('--shard-index <n>', 'index of this shard, the `shard` label on its metrics').default(0).argParser(intFlag('--shard-index', 0, 10_000)),
    )
    .addOption(
      new Option(
        '--durability <level>',
        'none: memory only; everysec / always: append every change to --data-file and replay it on start (fsync once a second / before each answer)',
      )
        .choices(DURABILITY_LEVELS)
        .default('none'),
    )
    .addOption(new Option('--data-file <path>', 'the append-only log for --durability everysec|always (created if missing, replayed if present)'))
    .addOption(
      new Option(
        '--publish-to <url>',
        "drain this shard's change feed (its outbox) to a broker: amqp://user:pass@127.0.0.1:5672 (RabbitMQ) or kafka://127.0.0.1:9092 (Kafka); sync strategy queue-push",
      ),
    )
    .addOption(new Option('--publish-batch <n>', 'changes per publish').default(256).argParser(intFlag('--publish-batch', 1, 10_000)))
  for (const option of capacityOptions()) command.addOption(option)
  return command
    .addHelpText('after', '\nAdmin token: LOADLAB_ADMIN_TOKEN (unset: a token is generated and its file named on stderr).')
    .exitOverride()
    .showHelpAfterError('(run with --help for every flag and its default)')
}

/** Cross-flag checks; throws a ConfigurationError naming the flag to fix. */
function durableStore(flags: ShardFlags): LoggedShardStore | undefined {
  if (flags.durability === 'none') {
    if (flags.dataFile !== undefined) throw new ConfigurationError('--data-file needs --durability everysec or always (with none the shard keeps nothing)')
    return undefined
  }
  if (flags.dataFile === undefined || flags.dataFile.trim() === '') {
    throw new ConfigurationError(`--durability ${flags.durability} needs --data-file <path>: the append-only log to write and to replay on start`)
  }
  return new LoggedShardStore(path.resolve(flags.dataFile), flags.durability)
}

/** Entry point of the `shard` role; `argv` are the arguments after the role name. */
export async function runShardCli(argv: string[]): Promise<void> {
  const flags = parseRoleFlags<ShardFlags>(shardCommand(), argv)
  await serveRole({
    role: 'shard',
    start: async () => {
      const store = durableStore(flags)
      if (flags.publishTo !== undefined) brokerOf(flags.publishTo, '--publish-to')
      const server = await startWithAdminToken('shard', (adminToken) =>
        startOnPort(flags.port, () =>
          startShardServer({
            host: flags.host,
            port: flags.port,
            shardIndex: flags.shardIndex,
            capacity: capacityFromFlags(flags),
            adminToken,
            store,
            ...(flags.publishTo === undefined ? {} : { publishTo: flags.publishTo, publishBatch: flags.publishBatch }),
          }),
        ),
      )
      if (store) {
        const cut =
          store.truncatedBytes > 0 ? `; cut ${store.truncatedBytes} bytes of an incomplete last entry (a write the crash interrupted, never acknowledged)` : ''
        process.stderr.write(`shard ${flags.shardIndex}: durability ${store.durability}: replayed ${store.replayed} changes from ${store.path}${cut}\n`)
      }
      return server
    },
    describeStartFailure: (error) => `shard ${flags.shardIndex} failed to start: ${error instanceof Error ? error.message : String(error)}`,
    readyLines: (server) => [listeningLine(server.url)],
    describeClosing: (signal) => `${signal}: closing shard ${flags.shardIndex}`,
  })
}
