// Customers carry a `version` that grows on every update; the caches use it to refuse to put an
// older copy of a record over a newer one. Values without one (the 360 view) are not compared.
/** The numeric top-level `version` of a cached value, or undefined when it has none. */
export function versionOf(value) {
    if (typeof value !== 'object' || value === null)
        return undefined;
    const v = value.version;
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
//# sourceMappingURL=value-version.js.map