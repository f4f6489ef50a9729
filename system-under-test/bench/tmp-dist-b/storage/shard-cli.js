import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CAPACITY, parseServiceTime } from '../capacity/create-capacity-model.js';
import { startShardServer } from './embedded-shard-server.js';
// `main.js shard [flags]`: an embedded shard server. Prints exactly one `LISTENING <url>` line on
// stdout when it serves; bad flags exit 2 with a message naming the flag; SIGTERM/SIGINT close
// gracefully and exit 0.
const intFlag = (flag, min, max = Number.MAX_SAFE_INTEGER) => (text) => {
    const n = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
        throw new InvalidArgumentError(`${flag} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);
    }
    return n;
};
const serviceTimeFlag = (text) => {
    try {
        return parseServiceTime(text);
    }
    catch (error) {
        throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
};
/** Builds the `shard` command; exported so its `--help` can be tested without a process. */
export function shardCommand() {
    return new Command('shard')
        .description('Start an embedded shard server: one shard of CRM data in memory, served over HTTP.')
        .addOption(new Option('--host <host>', 'interface to bind').default('127.0.0.1'))
        .addOption(new Option('--port <port>', 'port to listen on (0 = any free port)').default(7001).argParser(intFlag('--port', 0, 65535)))
        .addOption(new Option('--shard-index <n>', 'index of this shard, the `shard` label on its metrics').default(0).argParser(intFlag('--shard-index', 0, 10_000)))
        .addOption(new Option('--service-time <model>', 'emulated service time: off, constant:<ms> or exp:<ms>').default(DEFAULT_CAPACITY.serviceTime, 'off').argParser(serviceTimeFlag))
        .addOption(new Option('--slots <n>', 'requests served at once by the capacity model').default(DEFAULT_CAPACITY.slots).argParser(intFlag('--slots', 1)))
        .addOption(new Option('--queue-limit <n>', 'requests allowed to wait for a slot; more get 503').default(DEFAULT_CAPACITY.queueLimit).argParser(intFlag('--queue-limit', 0)))
        .exitOverride()
        .showHelpAfterError('(run with --help for every flag and its default)');
}
/** Entry point of the `shard` role; `argv` are the arguments after the role name. */
export async function runShardCli(argv) {
    const command = shardCommand();
    let flags;
    try {
        command.parse(argv, { from: 'user' });
        flags = command.opts();
    }
    catch (error) {
        if (error instanceof CommanderError) {
            // Help is a successful exit; commander has already printed the message either way.
            process.exit(error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version' ? 0 : 2);
        }
        throw error;
    }
    let server;
    try {
        server = await startShardServer({
            host: flags.host,
            port: flags.port,
            shardIndex: flags.shardIndex,
            capacity: { ...DEFAULT_CAPACITY, serviceTime: flags.serviceTime, slots: flags.slots, queueLimit: flags.queueLimit },
        });
    }
    catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const inUse = error.code === 'EADDRINUSE';
        process.stderr.write(`shard failed to start: ${message}${inUse ? ` (port ${flags.port} is taken: pick another --port, or 0 for any free port)` : ''}\n`);
        process.exit(inUse ? 2 : 1);
    }
    let stopping = false;
    const stop = (signal) => {
        if (stopping)
            return;
        stopping = true;
        process.stderr.write(`${signal}: closing shard ${flags.shardIndex}\n`);
        server.close().then(() => process.exit(0), (error) => {
            process.stderr.write(`error while closing: ${String(error)}\n`);
            process.exit(1);
        });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.stdout.write(`LISTENING ${server.url}\n`);
}
//# sourceMappingURL=shard-cli.js.map