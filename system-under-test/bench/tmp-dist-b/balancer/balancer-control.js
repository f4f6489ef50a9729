// What the admin port can ask of a running balancer, whatever the engine. The built-in balancer
// implements it directly; the HAProxy and nginx engines translate to their own runtime controls
// and counters, so the harness reads one format from every engine.
export class UnknownBackendError extends Error {
    url;
    constructor(url, known) {
        super(`unknown backend "${url}": use one of ${known.join(', ')}`);
        this.url = url;
    }
}
export class UnsupportedControlError extends Error {
}
//# sourceMappingURL=balancer-control.js.map