import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CAPACITY, parseServiceTime } from '../capacity/create-capacity-model.js';
import { CACHE_STRATEGIES, WRITE_POLICIES } from '../strategies/cache/cache.js';
import { DEFAULT_VIRTUAL_NODES } from '../strategies/partition/partition-registry.js';
import { PARTITION_STRATEGIES } from '../strategies/partition/partition-strategy.js';
import { defaultRangeWindow } from '../strategies/partition/range-partition.js';
import { SHARD_STORES } from './replica-options.js';
import { startReplica } from './start-replica.js';
// `main.js replica [flags]`: flags (coord/COMMON.md) -> validated ReplicaOptions -> a listening
// replica. Prints exactly one `LISTENING <url>` line on stdout when ready; bad flags exit 2 with a
// message naming the flag; SIGTERM/SIGINT close gracefully and exit 0.
/** A flag combination that commander alone cannot check (exit 2). */
class UsageError extends Error {
}
const intFlag = (flag, min, max = Number.MAX_SAFE_INTEGER) => (text) => {
    const n = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
        throw new InvalidArgumentError(`${flag} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);
    }
    return n;
};
const dateFlag = (flag) => (text) => {
    const ms = Date.parse(text);
    if (Number.isNaN(ms))
        throw new InvalidArgumentError(`${flag} must be an ISO date like 2026-01-01 or 2026-01-01T00:00:00Z`);
    return ms;
};
const serviceTimeFlag = (text) => {
    try {
        return parseServiceTime(text);
    }
    catch (error) {
        throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
};
/** Builds the `replica` command; exported so `--help` text can be tested without a process. */
export function replicaCommand() {
    const window = defaultRangeWindow();
    return new Command('replica')
        .description('Start a CRM replica (REST API) over the given shards.')
        .addOption(new Option('--host <host>', 'interface to bind').default('127.0.0.1'))
        .addOption(new Option('--port <port>', 'port to listen on (0 = any free port)').default(0).argParser(intFlag('--port', 0, 65535)))
        .addOption(new Option('--name <replica-name>', 'name sent as X-Replica (default: replica-<port>)'))
        .addOption(new Option('--shards <urls>', '(required) comma-separated shard URLs in shard order: http://127.0.0.1:7001,... (embedded) or postgres://... (postgres)').makeOptionMandatory())
        .addOption(new Option('--store <kind>', 'shard store').choices(SHARD_STORES).default('embedded'))
        .addOption(new Option('--partition <strategy>', 'partition strategy').choices(PARTITION_STRATEGIES).default('hash'))
        .addOption(new Option('--virtual-nodes <n>', 'consistent-hash: virtual nodes per shard').default(DEFAULT_VIRTUAL_NODES).argParser(intFlag('--virtual-nodes', 1, 10_000)))
        .addOption(new Option('--range-start <ISO date>', 'range: start of the time window the first N-1 shards split')
        .default(window.rangeStartMs, 'UTC midnight 365 days ago')
        .argParser(dateFlag('--range-start')))
        .addOption(new Option('--range-end <ISO date>', 'range: end of that window; the last shard takes newer customers')
        .default(window.rangeEndMs, 'UTC midnight today')
        .argParser(dateFlag('--range-end')))
        .addOption(new Option('--cache <strategy>', 'read cache').choices(CACHE_STRATEGIES).default('none'))
        .addOption(new Option('--cache-size <n>', 'max entries of lru/lfu/ttl').default(10_000).argParser(intFlag('--cache-size', 1)))
        .addOption(new Option('--cache-ttl-ms <ms>', 'entry lifetime for ttl and redis (0 = none for redis)').default(30_000).argParser(intFlag('--cache-ttl-ms', 0)))
        .addOption(new Option('--write-policy <policy>', 'what a write does to the cache').choices(WRITE_POLICIES).default('invalidate'))
        .addOption(new Option('--redis <url>', 'redis URL, required by --cache redis (e.g. redis://127.0.0.1:6379)'))
        .addOption(new Option('--service-time <model>', 'emulated service time: off, constant:<ms> or exp:<ms>').default(DEFAULT_CAPACITY.serviceTime, 'off').argParser(serviceTimeFlag))
        .addOption(new Option('--slots <n>', 'requests served at once by the capacity model').default(DEFAULT_CAPACITY.slots).argParser(intFlag('--slots', 1)))
        .addOption(new Option('--queue-limit <n>', 'requests allowed to wait for a slot; more get 503').default(DEFAULT_CAPACITY.queueLimit).argParser(intFlag('--queue-limit', 0)))
        .exitOverride()
        .showHelpAfterError('(run with --help for every flag and its default)');
}
/** Cross-flag checks; throws UsageError naming the flag to fix. */
export function toReplicaOptions(flags) {
    const shards = flags.shards.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (shards.length === 0)
        throw new UsageError('--shards is empty: give at least one shard URL, like --shards http://127.0.0.1:7001');
    const protocols = flags.store === 'postgres' ? ['postgres:', 'postgresql:'] : ['http:'];
    for (const shard of shards) {
        let protocol;
        try {
            protocol = new URL(shard).protocol;
        }
        catch {
            throw new UsageError(`--shards: "${shard}" is not a URL`);
        }
        if (!protocols.includes(protocol)) {
            throw new UsageError(flags.store === 'postgres'
                ? `--shards: "${shard}" is not a postgres:// URL, which --store postgres requires (one database per shard)`
                : `--shards: "${shard}" is not an http:// shard server URL; for PostgreSQL pass --store postgres`);
        }
    }
    if (new Set(shards).size !== shards.length)
        throw new UsageError('--shards lists a shard twice: list each shard once');
    if (flags.cache === 'redis' && flags.redis === undefined)
        throw new UsageError('--cache redis needs --redis <url>, like --redis redis://127.0.0.1:6379');
    if (flags.redis !== undefined && !/^rediss?:\/\//.test(flags.redis))
        throw new UsageError(`--redis: "${flags.redis}" is not a redis:// URL`);
    if (!(flags.rangeEnd > flags.rangeStart))
        throw new UsageError('--range-end must be after --range-start');
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
        capacity: { ...DEFAULT_CAPACITY, serviceTime: flags.serviceTime, slots: flags.slots, queueLimit: flags.queueLimit },
    };
}
/** Entry point of the `replica` role; `argv` are the arguments after the role name. */
export async function runReplicaCli(argv) {
    const command = replicaCommand();
    let options;
    try {
        command.parse(argv, { from: 'user' });
        options = toReplicaOptions(command.opts());
    }
    catch (error) {
        if (error instanceof CommanderError) {
            // Help and version are successful exits; commander already printed everything.
            process.exit(error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version' ? 0 : 2);
        }
        if (error instanceof UsageError) {
            process.stderr.write(`error: ${error.message}\n`);
            process.exit(2);
        }
        throw error;
    }
    let replica;
    try {
        replica = await startReplica(options);
    }
    catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const inUse = error.code === 'EADDRINUSE';
        process.stderr.write(`replica failed to start: ${message}${inUse ? ` (port ${options.port} is taken: pick another --port, or 0 for any free port)` : ''}\n`);
        // A taken port or a flag value the strategies refuse (they name the flag) is a configuration error.
        process.exit(inUse || /^(unknown|partition|--)/.test(message) ? 2 : 1);
    }
    let stopping = false;
    const stop = (signal) => {
        if (stopping)
            return;
        stopping = true;
        process.stderr.write(`${signal}: closing replica ${replica.name}\n`);
        replica.close().then(() => process.exit(0), (error) => {
            process.stderr.write(`error while closing: ${String(error)}\n`);
            process.exit(1);
        });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.stdout.write(`LISTENING ${replica.url}\n`);
}
//# sourceMappingURL=replica-cli.js.map