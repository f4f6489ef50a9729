import { BALANCER_STRATEGIES } from './balancer.js';
import { ConsistentHashBalancer } from './consistent-hash.js';
import { LeastConnectionsBalancer } from './least-connections.js';
import { PowerOfTwoChoicesBalancer } from './p2c.js';
import { RandomBalancer } from './random.js';
import { RoundRobinBalancer } from './round-robin.js';
import { WeightedRoundRobinBalancer } from './weighted-round-robin.js';
export { BALANCER_STRATEGIES } from './balancer.js';
const FACTORIES = {
    'round-robin': () => new RoundRobinBalancer(),
    'weighted-round-robin': () => new WeightedRoundRobinBalancer(),
    'least-connections': () => new LeastConnectionsBalancer(),
    random: (o) => new RandomBalancer(o.random),
    p2c: (o) => new PowerOfTwoChoicesBalancer(o.random),
    'consistent-hash': (o) => new ConsistentHashBalancer({ virtualNodes: o.virtualNodes }),
};
export function isBalancerStrategyName(name) {
    return BALANCER_STRATEGIES.includes(name);
}
/** Called once when a balancer starts: a fresh strategy instance (each keeps its own cursor). */
export function createBalancer(name, options = {}) {
    if (!isBalancerStrategyName(name)) {
        throw new Error(`unknown balancer strategy "${name}": use one of ${BALANCER_STRATEGIES.join(', ')}`);
    }
    return FACTORIES[name](options);
}
//# sourceMappingURL=balancer-registry.js.map