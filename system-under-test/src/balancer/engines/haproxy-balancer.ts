import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { backendIndex, type BackendSnapshot, type BalancerControl, type BalancerSnapshot } from '../balancer-control.js'
import type { BackendErrorKind } from '../balancer-metrics.js'
import type { BalancerOptions } from '../balancer-options.js'
import type { RunningBalancer } from '../start-balancer.js'
import { createEngineMetrics } from './engine-counters.js'
import { prepareWorkDir } from './engine-work-dir.js'
import { HAPROXY_BACKEND, haproxyServerName, renderHaproxyConfig } from './haproxy-config.js'
import { haproxyCommand, parseHaproxyStats, type HaproxyServerStats } from './haproxy-runtime.js'
import { superviseEngine } from './supervise-engine.js'

/**
 * Runs real HAProxy as the balancer: generates haproxy.cfg, starts `haproxy -db` (foreground) as
 * our child, and serves the LoadLab admin port by translating HAProxy's runtime API (`show stat`,
 * `set server ... state drain`, `set server ... weight`).
 */
export async function startHaproxyBalancer(options: BalancerOptions): Promise<RunningBalancer> {
  const workDir = await prepareWorkDir('haproxy', options.workDir)
  const socketPath = join(workDir.path, 'haproxy.sock')
  const metrics = createEngineMetrics()
  const draining = new Set<string>()
  const indexOf = (url: string): number => backendIndex(options.backends, url)
  const run = async (command: string) => {
    const answer = (await haproxyCommand(socketPath, command)).trim()
    if (answer !== '') throw new Error(`HAProxy refused "${command}": ${answer}`)
  }

  const readCounters = async () => {
    const rows = parseHaproxyStats(await haproxyCommand(socketPath, 'show stat'))
    const byServer = new Map<string, HaproxyServerStats>(rows.filter((r) => r.proxy === HAPROXY_BACKEND).map((r) => [r.server, r]))
    const now = Date.now()
    const backends: BackendSnapshot[] = options.backends.map((url, i) => {
      const row = byServer.get(haproxyServerName(i))
      const status = row?.status ?? 'UNKNOWN'
      const healthy = /^(UP|DRAIN|NOLB|no check)/.test(status)
      const isDraining = status.startsWith('DRAIN') || draining.has(url)
      return {
        url,
        weight: row?.weight ?? options.weights?.[i] ?? 1,
        healthy,
        // HAProxy's passive ejection (observe layer7 ... mark-down) shows as DOWN like a failed check.
        ejected: false,
        draining: isDraining,
        up: healthy && !isDraining,
        inFlight: row?.current ?? 0,
        requests: row?.requests ?? 0,
        errors: (row?.connectErrors ?? 0) + (row?.responseErrors ?? 0) + (row?.http5xx ?? 0),
        ejections: row?.downTransitions ?? 0,
        // HAProxy reports whole seconds ago: these times are coarse (±1 s).
        lastSentAt: row?.secondsSinceLastSession != null ? now - row.secondsSinceLastSession * 1000 : null,
        healthChangedAt: row && row.downTransitions > 0 ? now - row.secondsSinceStatusChange * 1000 : null,
        ejectedAt: null,
      }
    })
    const errors = new Map<string, Partial<Record<BackendErrorKind, number>>>()
    options.backends.forEach((url, i) => {
      const row = byServer.get(haproxyServerName(i))
      if (row) errors.set(url, { connect: row.connectErrors, reset: row.responseErrors, status_5xx: row.http5xx })
    })
    const retries = rows.filter((r) => r.proxy === HAPROXY_BACKEND).reduce((sum, r) => sum + r.retries + r.redispatches, 0)
    return { backends, errors, retries }
  }

  const control: BalancerControl = {
    async snapshot(): Promise<BalancerSnapshot> {
      return { engine: 'haproxy', strategy: options.strategy, backends: (await readCounters()).backends }
    },
    async drain(url) {
      const i = indexOf(url)
      await run(`set server ${HAPROXY_BACKEND}/${haproxyServerName(i)} state drain`)
      draining.add(options.backends[i]!)
    },
    async undrain(url) {
      const i = indexOf(url)
      await run(`set server ${HAPROXY_BACKEND}/${haproxyServerName(i)} state ready`)
      draining.delete(options.backends[i]!)
    },
    async setWeights(weights) {
      const changes = Object.entries(weights).map(([url, weight]) => [indexOf(url), weight] as const)
      for (const [i, weight] of changes) {
        // HAProxy answers nothing on success for `set server ... weight`, or a warning we surface.
        await run(`set server ${HAPROXY_BACKEND}/${haproxyServerName(i)} weight ${weight}`)
      }
    },
    metrics: async () => metrics.scrape(await readCounters()),
  }

  return superviseEngine({
    binary: 'haproxy',
    options,
    workDir,
    control,
    // SIGUSR1 = HAProxy's soft stop: stop listening, let open requests finish.
    stopSignal: 'SIGUSR1',
    configure: async ({ port, adminPort }) => {
      const configPath = join(workDir.path, 'haproxy.cfg')
      await writeFile(configPath, renderHaproxyConfig({ ...options, port, adminPort, workDir: workDir.path, weights: options.weights ?? [] }))
      return ['-db', '-f', configPath]
    },
  })
}
