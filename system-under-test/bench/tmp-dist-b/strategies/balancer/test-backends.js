// Shared by the strategy unit tests: plain backend objects the tests mutate directly.
export function makeBackends(count, weights) {
    return Array.from({ length: count }, (_, i) => ({
        url: `http://127.0.0.1:${8001 + i}`,
        weight: weights?.[i] ?? 1,
        inFlight: 0,
        healthy: true,
        ejected: false,
        draining: false,
    }));
}
/** Picks `n` times and counts how often each url was chosen. */
export function countPicks(pick, n, pathFor = () => '/customers') {
    const counts = new Map();
    for (let i = 0; i < n; i++) {
        const chosen = pick(pathFor(i));
        const key = chosen?.url ?? 'none';
        counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
}
//# sourceMappingURL=test-backends.js.map