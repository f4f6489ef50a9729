import { isEligible } from './balancer.js';
// Weighted random choice (uniform when every weight is 1), as HAProxy `random(1)` and nginx `random`.
export class RandomBalancer {
    random;
    name = 'random';
    constructor(random = Math.random) {
        this.random = random;
    }
    pick(req, backends) {
        return pickWeightedRandom(backends.filter((b) => isEligible(b, req)), this.random);
    }
}
/** Chooses one of `eligible` with probability proportional to its weight; null when empty. */
export function pickWeightedRandom(eligible, random) {
    if (eligible.length === 0)
        return null;
    const total = eligible.reduce((sum, b) => sum + b.weight, 0);
    let point = random() * total;
    for (const backend of eligible) {
        point -= backend.weight;
        if (point < 0)
            return backend;
    }
    return eligible[eligible.length - 1];
}
//# sourceMappingURL=random.js.map