import { Command, InvalidArgumentError, Option } from 'commander'
import { startWithAdminToken } from '../admin/admin-token.js'
import { parseRoleFlags, serveRole } from '../cli/serve-role.js'
import { ConfigurationError } from '../config/configuration-error.js'
import { adminLine, listeningLine } from '../contract/ready-lines.js'
import { BALANCER_STRATEGIES } from '../strategies/balancer/balancer.js'
import { BALANCER_ENGINES } from './balancer-options.js'
import { launchBalancer } from './launch-balancer.js'

function integer(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be a whole number, got "${value}"`)
    return Number(value)
  }
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** Builds the `balancer` command; exported so the contract's flag builder can be checked against it without a process. */
export function balancerCommand(): Command {
  return new Command('balancer')
    .description('Load balancer in front of CRM replicas: the built-in Node balancer, or real HAProxy / nginx with generated config')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', integer('--port'), 0)
    .option('--admin-port <port>', 'admin port, always on 127.0.0.1 (0 = any free port)', integer('--admin-port'), 0)
    .addOption(new Option('--strategy <name>', 'balancing strategy').choices(BALANCER_STRATEGIES).default('round-robin'))
    .requiredOption('--backends <urls>', 'comma-separated backend origins, e.g. http://127.0.0.1:8001,http://127.0.0.1:8002', list)
    .option('--weights <numbers>', 'comma-separated weights, one per backend (default 1 each)', (v) => list(v).map(integer('--weights')))
    .addOption(new Option('--engine <engine>', 'which balancer runs').choices(BALANCER_ENGINES).default('builtin'))
    .option('--health-interval-ms <ms>', 'active health check interval (GET /health)', integer('--health-interval-ms'), 1000)
    .option('--health-timeout-ms <ms>', 'health check timeout', integer('--health-timeout-ms'), 500)
    .option('--rise <n>', 'passing checks that bring a backend back', integer('--rise'), 2)
    .option('--fall <n>', 'failing checks that take a backend out', integer('--fall'), 2)
    .option('--eject-after <n>', 'consecutive connect errors or 5xx that eject a backend', integer('--eject-after'), 3)
    .option('--eject-ms <ms>', 'how long an ejected backend gets no requests', integer('--eject-ms'), 5000)
    .option('--connections <n>', 'keep-alive connections per backend (built-in engine)', integer('--connections'), 64)
    .option('--virtual-nodes <n>', 'ring points per backend for consistent-hash (built-in engine)', integer('--virtual-nodes'), 160)
    .option(
      '--max-body-bytes <n>',
      'largest request body forwarded; a declared Content-Length over it gets 413 at once',
      integer('--max-body-bytes'),
      1024 * 1024,
    )
    .option('--work-dir <dir>', 'folder for haproxy/nginx config, pid and logs (default: a temp dir removed on exit)')
    .addHelpText('after', '\nAdmin token for the admin port: LOADLAB_ADMIN_TOKEN (unset: a token is generated and its file named on stderr).')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
}

interface CliFlags {
  host: string
  port: number
  adminPort: number
  strategy: string
  backends: string[]
  weights?: number[]
  engine: string
  healthIntervalMs: number
  healthTimeoutMs: number
  rise: number
  fall: number
  ejectAfter: number
  ejectMs: number
  connections: number
  virtualNodes: number
  maxBodyBytes: number
  workDir?: string
}

/**
 * `node system-under-test/dist/main.js balancer [flags]` (argv = the flags after the role).
 * Prints `LISTENING <url>` then `ADMIN <url>` when ready; exits 0 on SIGTERM/SIGINT after a
 * graceful close, 2 on bad flags (message names the flag and the fix), 1 if a real engine dies.
 */
export async function runBalancerCli(argv: string[]): Promise<void> {
  const flags = parseRoleFlags<CliFlags>(balancerCommand(), argv)
  await serveRole({
    role: 'balancer',
    start: () =>
      startWithAdminToken('balancer', (adminToken) =>
        launchBalancer({
          adminToken,
          host: flags.host,
          port: flags.port,
          adminPort: flags.adminPort,
          strategy: flags.strategy as (typeof BALANCER_STRATEGIES)[number],
          engine: flags.engine as (typeof BALANCER_ENGINES)[number],
          backends: flags.backends,
          weights: flags.weights,
          healthIntervalMs: flags.healthIntervalMs,
          healthTimeoutMs: flags.healthTimeoutMs,
          rise: flags.rise,
          fall: flags.fall,
          ejectAfter: flags.ejectAfter,
          ejectMs: flags.ejectMs,
          connectionsPerBackend: flags.connections,
          virtualNodes: flags.virtualNodes,
          maxBodyBytes: flags.maxBodyBytes,
          workDir: flags.workDir,
        }),
      ),
    // A refused option may list several problems, one a line: each line names the role.
    describeStartFailure: (error) =>
      error instanceof ConfigurationError
        ? `balancer: ${error.message.split('\n').join('\nbalancer: ')}`
        : `balancer: could not start: ${error instanceof Error ? error.message : String(error)}`,
    readyLines: (balancer) => [listeningLine(balancer.url), adminLine(balancer.adminUrl)],
    describeClosing: (signal) => `balancer: ${signal}, closing`,
    describeCloseFailure: (error) => `balancer: error while closing: ${String(error)}`,
    died: (balancer) => balancer.exited.then(({ code, signal }) => `balancer: ${flags.engine} exited unexpectedly (${signal ?? `code ${code}`}); stopping`),
  })
}
