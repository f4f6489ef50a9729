import { isEligible } from './balancer.js';
// Smooth weighted round-robin as nginx does it: every pick adds each eligible backend's weight to
// its running score, takes the highest score and subtracts the total. Weights 5:1:1 give
// a,a,b,a,c,a,a rather than a burst of five a's, so a heavy backend never gets a run of requests.
export class WeightedRoundRobinBalancer {
    name = 'weighted-round-robin';
    current = new Map();
    pick(req, backends) {
        let total = 0;
        let best = null;
        let bestScore = -Infinity;
        for (const backend of backends) {
            if (!isEligible(backend, req))
                continue;
            const score = (this.current.get(backend.url) ?? 0) + backend.weight;
            this.current.set(backend.url, score);
            total += backend.weight;
            if (score > bestScore) {
                bestScore = score;
                best = backend;
            }
        }
        if (best)
            this.current.set(best.url, bestScore - total);
        return best;
    }
}
//# sourceMappingURL=weighted-round-robin.js.map