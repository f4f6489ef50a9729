import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { backendIndex, type BalancerControl, type BalancerSnapshot } from '../balancer-control.js'
import type { BalancerOptions } from '../balancer-options.js'
import type { RunningBalancer } from '../start-balancer.js'
import { createEngineMetrics } from './engine-counters.js'
import type { SupervisedProcess } from './engine-process.js'
import { prepareWorkDir } from './engine-work-dir.js'
import { NginxAccessLog } from './nginx-access-log.js'
import { renderNginxConfig } from './nginx-config.js'
import { superviseEngine } from './supervise-engine.js'

const NOTES = [
  'nginx (open source) has no active health checks: "healthy" is not observed; failing backends are skipped passively (max_fails/fail_timeout)',
  'nginx does not report requests in flight per backend: inFlight is 0',
  'request counts come from the access log, flushed every 200 ms',
]

/**
 * Runs real nginx as the balancer: generates nginx.conf, starts it in the foreground
 * (`-g 'daemon off;'`) as our child, counts per-backend requests from its access log, and applies
 * drain/weight changes by rewriting the config and sending SIGHUP (nginx's graceful reload).
 */
export async function startNginxBalancer(options: BalancerOptions): Promise<RunningBalancer> {
  const workDir = await prepareWorkDir('nginx', options.workDir)
  const metrics = createEngineMetrics()
  const drained = new Set<string>()
  const weights = options.backends.map((_, i) => options.weights?.[i] ?? 1)
  const urlByAddress = new Map(options.backends.map((url) => [new URL(url).host, url]))
  const log = new NginxAccessLog(join(workDir.path, 'access.log'), (address) => urlByAddress.get(address) ?? `http://${address}`)
  const indexOf = (url: string): number => backendIndex(options.backends, url)

  // Known once superviseEngine has both ports; every reload rewrites the config with them.
  let port = options.port
  let adminPort = 0
  let proc: SupervisedProcess | null = null
  const configPath = join(workDir.path, 'nginx.conf')
  const writeConfig = () =>
    writeFile(
      configPath,
      renderNginxConfig({
        ...options,
        port,
        adminPort,
        workDir: workDir.path,
        weights,
        drained,
        runAsRoot: typeof process.getuid === 'function' && process.getuid() === 0,
      }),
    )
  const reload = async () => {
    await writeConfig()
    proc?.child.kill('SIGHUP')
  }

  const snapshot = async (): Promise<BalancerSnapshot> => {
    await log.read()
    return {
      engine: 'nginx',
      strategy: options.strategy,
      notes: NOTES,
      backends: options.backends.map((url, i) => {
        const errors = Object.values(log.errors.get(url) ?? {}).reduce((a, b) => a + (b ?? 0), 0)
        return {
          url,
          weight: weights[i]!,
          healthy: true,
          ejected: false,
          draining: drained.has(url),
          up: !drained.has(url),
          inFlight: 0,
          requests: log.requests.get(url) ?? 0,
          errors,
          ejections: 0,
          lastSentAt: log.lastSeenAt.get(url) ?? null,
          healthChangedAt: null,
          ejectedAt: null,
        }
      }),
    }
  }

  const control: BalancerControl = {
    snapshot,
    async drain(url) {
      drained.add(options.backends[indexOf(url)]!)
      await reload()
    },
    async undrain(url) {
      drained.delete(options.backends[indexOf(url)]!)
      await reload()
    },
    async setWeights(changes) {
      const resolved = Object.entries(changes).map(([url, weight]) => [indexOf(url), weight] as const)
      for (const [i, weight] of resolved) weights[i] = weight
      await reload()
    },
    async metrics() {
      const snap = await snapshot()
      return metrics.scrape({ backends: snap.backends, errors: log.errors, retries: log.retries })
    },
  }

  return superviseEngine({
    binary: 'nginx',
    options,
    workDir,
    control,
    // SIGQUIT = nginx's graceful shutdown: finish open requests, then exit.
    stopSignal: 'SIGQUIT',
    configure: async (ports) => {
      port = ports.port
      adminPort = ports.adminPort
      await writeConfig()
      return ['-p', workDir.path, '-c', configPath, '-g', 'daemon off;']
    },
    started: (engine) => {
      proc = engine
    },
  })
}
