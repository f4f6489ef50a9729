import type { BalancerStrategyName } from '../../strategies/balancer/balancer.js'

/** What every real engine's config generator needs (haproxy-config.ts, nginx-config.ts). */
export interface EngineConfigInput {
  port: number
  host: string
  /** Port of the LoadLab admin server: GET /metrics on the main port is routed there. */
  adminPort: number
  /** Folder for the engine's pid, socket, logs and temp files. */
  workDir: string
  strategy: BalancerStrategyName
  backends: readonly string[]
  weights: readonly number[]
  /** A declared Content-Length over this is answered 413 by the engine itself. */
  maxBodyBytes: number
}

/** One backend as the engine's `server` line names it. */
export interface EngineServer {
  url: string
  host: string
  port: string
  weight: number
}

/** The backends in order, with the weight each engine config gives them. */
export function engineServers(c: EngineConfigInput): EngineServer[] {
  // Plain round-robin ignores weights, as the built-in balancer does.
  const roundRobinWeights = c.strategy === 'round-robin'
  return c.backends.map((url, i) => {
    const { hostname: host, port } = new URL(url)
    return { url, host, port, weight: roundRobinWeights ? 1 : (c.weights[i] ?? 1) }
  })
}
