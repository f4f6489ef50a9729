import { ConfigurationError } from '../../config/configuration-error.js'
import { BALANCER_STRATEGIES, type Balancer, type BalancerStrategyName, type RandomSource } from './balancer.js'
import { ConsistentHashBalancer } from './consistent-hash.js'
import { LeastConnectionsBalancer } from './least-connections.js'
import { PowerOfTwoChoicesBalancer } from './p2c.js'
import { RandomBalancer } from './random.js'
import { RoundRobinBalancer } from './round-robin.js'
import { WeightedRoundRobinBalancer } from './weighted-round-robin.js'

export { BALANCER_STRATEGIES, type BalancerStrategyName } from './balancer.js'

export interface CreateBalancerOptions {
  /** Random source for `random` and `p2c` (tests pass a seeded one). */
  random?: RandomSource
  /** Ring points per backend for `consistent-hash`. */
  virtualNodes?: number
}

const FACTORIES: Record<BalancerStrategyName, (o: CreateBalancerOptions) => Balancer> = {
  'round-robin': () => new RoundRobinBalancer(),
  'weighted-round-robin': () => new WeightedRoundRobinBalancer(),
  'least-connections': () => new LeastConnectionsBalancer(),
  random: (o) => new RandomBalancer(o.random),
  p2c: (o) => new PowerOfTwoChoicesBalancer(o.random),
  'consistent-hash': (o) => new ConsistentHashBalancer({ virtualNodes: o.virtualNodes }),
}

export function isBalancerStrategyName(name: string): name is BalancerStrategyName {
  return (BALANCER_STRATEGIES as readonly string[]).includes(name)
}

/** Called once when a balancer starts: a fresh strategy instance (each keeps its own cursor). */
export function createBalancer(name: string, options: CreateBalancerOptions = {}): Balancer {
  if (!isBalancerStrategyName(name)) {
    throw new ConfigurationError(`unknown balancer strategy "${name}": use one of ${BALANCER_STRATEGIES.join(', ')}`)
  }
  return FACTORIES[name](options)
}
