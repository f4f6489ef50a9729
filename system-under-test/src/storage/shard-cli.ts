import { Command, Option } from 'commander'
import { startWithAdminToken } from '../admin/admin-token.js'
import { capacityFromFlags, capacityOptions, type CapacityFlags } from '../cli/capacity-flags.js'
import { intFlag } from '../cli/flag-parsers.js'
import { parseRoleFlags, serveRole, startOnPort } from '../cli/serve-role.js'
import { startShardServer } from './embedded-shard-server.js'

// `main.js shard [flags]`: an embedded shard server. Prints exactly one `LISTENING <url>` line on
// stdout when it serves; bad flags exit 2 with a message naming the flag; SIGTERM/SIGINT close
// gracefully and exit 0.

interface ShardFlags extends CapacityFlags {
  host: string
  port: number
  shardIndex: number
}

/** Builds the `shard` command; exported so its `--help` can be tested without a process. */
export function shardCommand(): Command {
  const command = new Command('shard')
    .description('Start an embedded shard server: one shard of CRM data in memory, served over HTTP.')
    .addOption(new Option('--host <host>', 'interface to bind').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'port to listen on (0 = any free port)').default(7001).argParser(intFlag('--port', 0, 65535)))
    .addOption(new Option('--shard-index <n>', 'index of this shard, the `shard` label on its metrics').default(0).argParser(intFlag('--shard-index', 0, 10_000)))
  for (const option of capacityOptions()) command.addOption(option)
  return command.exitOverride().showHelpAfterError('(run with --help for every flag and its default)')
}

/** Entry point of the `shard` role; `argv` are the arguments after the role name. */
export async function runShardCli(argv: string[]): Promise<void> {
  const flags = parseRoleFlags<ShardFlags>(shardCommand(), argv)
  await serveRole({
    role: 'shard',
    start: () =>
      startWithAdminToken('shard', (adminToken) =>
        startOnPort(flags.port, () =>
          startShardServer({ host: flags.host, port: flags.port, shardIndex: flags.shardIndex, capacity: capacityFromFlags(flags), adminToken }),
        ),
      ),
    readyLines: (server) => [`LISTENING ${server.url}`],
    describeClosing: (signal) => `${signal}: closing shard ${flags.shardIndex}`,
  })
}
