import { BALANCER_STRATEGIES, type BalancerStrategyName } from '../../strategies/balancer/balancer.js'
import type { BalancerEngineName } from '../balancer-options.js'

/**
 * Which strategies each engine can run. Today every engine does all six (HAProxy roundrobin /
 * weights / leastconn / random / random(2) / consistent hdr hash; nginx round-robin / weight= /
 * least_conn / random / random two least_conn / hash consistent); the table is the one place to
 * say otherwise when an engine is added.
 */
export const ENGINE_STRATEGIES: Readonly<Record<BalancerEngineName, readonly BalancerStrategyName[]>> = {
  builtin: BALANCER_STRATEGIES,
  haproxy: BALANCER_STRATEGIES,
  nginx: BALANCER_STRATEGIES,
}

/**
 * Called before anything starts. Returns null when `engine` can run `strategy`, else a message
 * naming the engines that can.
 */
export function unsupportedStrategyMessage(
  engine: string,
  strategy: string,
  table: Readonly<Record<string, readonly string[]>> = ENGINE_STRATEGIES,
): string | null {
  if (table[engine]?.includes(strategy)) return null
  const able = Object.entries(table)
    .filter(([, strategies]) => strategies.includes(strategy))
    .map(([name]) => name)
  return able.length > 0
    ? `engine "${engine}" cannot run strategy "${strategy}": use --engine ${able.join(' or --engine ')}`
    : `no engine can run strategy "${strategy}"`
}
