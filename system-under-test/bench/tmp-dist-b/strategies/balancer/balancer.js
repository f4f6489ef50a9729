// The contract every balancer strategy implements. Strategies are pure choosers: they never do
// I/O, never mutate a backend's health, and never see the request body. The balancer process owns
// the BackendState objects and updates them (in-flight counts, health, ejection, drain) so the
// same strategy code can be unit-tested against plain objects.
export const BALANCER_STRATEGIES = [
    'round-robin',
    'weighted-round-robin',
    'least-connections',
    'random',
    'p2c',
    'consistent-hash',
];
/** A backend may take a new request only when healthy, not ejected, not draining, not excluded. */
export function isEligible(backend, req) {
    return (backend.healthy &&
        !backend.ejected &&
        !backend.draining &&
        backend.weight > 0 &&
        !(req.exclude?.has(backend.url) ?? false));
}
//# sourceMappingURL=balancer.js.map