import path from 'node:path'
import { Command, Option } from 'commander'
import { startWithAdminToken } from '../admin/admin-token.js'
import { intFlag } from '../cli/flag-parsers.js'
import { parseRoleFlags, serveRole, startOnPort } from '../cli/serve-role.js'
import { ConfigurationError } from '../config/configuration-error.js'
import { listeningLine } from '../contract/ready-lines.js'
import { brokerOf } from '../sync/brokers/change-broker.js'
import { startDownstream, type DownstreamOptions } from './start-downstream.js'

// `main.js downstream [flags]`: the downstream system. Prints one `LISTENING <url>` line when it
// serves; bad flags exit 2 naming the flag; SIGTERM/SIGINT close gracefully and exit 0.

interface DownstreamFlags {
  host: string
  port: number
  dataFile?: string
  consume?: string
  pullFrom?: string
  intervalMs: number
  batch: number
}

export function downstreamCommand(): Command {
  return new Command('downstream')
    .description("Start the downstream system: its own copy of the CRM's customers, fed by a sync strategy.")
    .addOption(new Option('--host <host>', 'interface to bind').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'port to listen on (0 = any free port)').default(0).argParser(intFlag('--port', 0, 65535)))
    .addOption(new Option('--data-file <path>', 'append-only log of every change taken, replayed on start (default: memory only)'))
    .addOption(new Option('--consume <broker-url>', 'queue-push: consume change events from this broker (amqp://... RabbitMQ, kafka://host:port Kafka)'))
    .addOption(new Option('--pull-from <urls>', 'scheduled-pull: comma-separated CRM replica URLs to pull GET /admin/changes from'))
    .addOption(
      new Option('--interval-ms <ms>', 'scheduled-pull: time between pulls when caught up').default(1_000).argParser(intFlag('--interval-ms', 1, 3_600_000)),
    )
    .addOption(new Option('--batch <n>', 'changes per pull and shard, or broker messages in flight').default(500).argParser(intFlag('--batch', 1, 5_000)))
    .addHelpText('after', '\nWithout --consume or --pull-from it only takes POST /changes (sync-call). Admin token (for pulling): LOADLAB_ADMIN_TOKEN.')
    .exitOverride()
    .showHelpAfterError('(run with --help for every flag and its default)')
}

export function toDownstreamOptions(flags: DownstreamFlags): Omit<DownstreamOptions, 'adminToken'> {
  if (flags.consume !== undefined && flags.pullFrom !== undefined)
    throw new ConfigurationError('give --consume (queue-push) or --pull-from (scheduled-pull), not both')
  if (flags.consume !== undefined) brokerOf(flags.consume, '--consume')
  const pullFrom = flags.pullFrom
    ?.split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
  if (pullFrom !== undefined) {
    if (pullFrom.length === 0) throw new ConfigurationError('--pull-from is empty: give at least one replica URL, like --pull-from http://127.0.0.1:8001')
    for (const url of pullFrom) if (!/^https?:\/\/[^/]/.test(url)) throw new ConfigurationError(`--pull-from: "${url}" is not an http:// replica URL`)
  }
  return {
    host: flags.host,
    port: flags.port,
    ...(flags.dataFile === undefined ? {} : { dataFile: path.resolve(flags.dataFile) }),
    ...(flags.consume === undefined ? {} : { consumeFrom: flags.consume }),
    ...(pullFrom === undefined ? {} : { pullFrom }),
    intervalMs: flags.intervalMs,
    batch: flags.batch,
  }
}

export async function runDownstreamCli(argv: string[]): Promise<void> {
  const options = parseRoleFlags<DownstreamFlags, Omit<DownstreamOptions, 'adminToken'>>(downstreamCommand(), argv, toDownstreamOptions)
  await serveRole({
    role: 'downstream',
    start: async () => {
      const started = await startWithAdminToken('downstream', (adminToken) => startOnPort(options.port, () => startDownstream({ ...options, adminToken })))
      if (options.dataFile !== undefined) process.stderr.write(`downstream: replayed ${started.replayed} changes from ${options.dataFile}\n`)
      return started
    },
    readyLines: (server) => [listeningLine(server.url)],
    describeClosing: (signal) => `${signal}: closing downstream`,
  })
}
