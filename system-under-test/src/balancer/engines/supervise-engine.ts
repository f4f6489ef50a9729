import { closeServer, listen } from '../../http/listen.js'
import { createAdminServer } from '../admin-server.js'
import type { BalancerControl } from '../balancer-control.js'
import type { BalancerOptions } from '../balancer-options.js'
import type { RunningBalancer } from '../start-balancer.js'
import { startSupervisedProcess, type SupervisedProcess } from './engine-process.js'
import type { EngineWorkDir } from './engine-work-dir.js'
import { freePort } from './free-port.js'

/** What differs between the real engines once their admin control is built. */
export interface EngineLaunch {
  binary: 'haproxy' | 'nginx'
  options: Pick<BalancerOptions, 'host' | 'port' | 'adminPort' | 'adminToken'>
  workDir: EngineWorkDir
  /** Served on the LoadLab admin port. */
  control: BalancerControl
  /** The engine's graceful stop: stop listening, let open requests finish, exit. */
  stopSignal: NodeJS.Signals
  /** Called once both ports are known (a free one when --port is 0): writes the config, returns the engine's arguments. */
  configure(ports: { port: number; adminPort: number }): Promise<string[]>
  /** Called once the engine accepts connections (nginx keeps it to signal reloads). */
  started?(engine: SupervisedProcess): void
}

/**
 * The part HAProxy and nginx share: serve the admin port, start the engine as a supervised child
 * on the main port, and close in order (engine gracefully, admin server, work dir). When the
 * engine cannot start, the admin server and work dir are released before the error is rethrown.
 */
export async function superviseEngine(launch: EngineLaunch): Promise<RunningBalancer> {
  const { options, workDir } = launch
  const admin = createAdminServer(launch.control, options.adminToken)
  const adminPort = await listen(admin, options.adminPort, '127.0.0.1')
  try {
    const port = options.port === 0 ? await freePort(options.host) : options.port
    const args = await launch.configure({ port, adminPort })
    const engine = await startSupervisedProcess(launch.binary, args, { host: options.host, port })
    launch.started?.(engine)
    let closing: Promise<void> | null = null
    return {
      url: `http://${options.host}:${port}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      adminToken: options.adminToken,
      control: launch.control,
      exited: engine.exited,
      close() {
        closing ??= (async () => {
          await engine.stop(launch.stopSignal, 3000)
          await closeServer(admin)
          await workDir.cleanup()
        })()
        return closing
      },
    }
  } catch (err) {
    await closeServer(admin)
    await workDir.cleanup()
    throw err
  }
}
