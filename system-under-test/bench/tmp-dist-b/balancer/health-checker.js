import { Client } from 'undici';
/**
 * Active health checks: GET /health on every backend each interval, on a connection of its own
 * (so a check never queues behind proxied requests and a slow-but-alive backend is not mistaken
 * for a dead one). Backends start healthy, as in HAProxy: the balancer serves at once.
 */
export class HealthChecker {
    backends;
    options;
    timer = null;
    clients = new Map();
    running = new Set();
    constructor(backends, options) {
        this.backends = backends;
        this.options = options;
        for (const b of backends)
            this.clients.set(b.url, new Client(b.url, { connect: { timeout: options.timeoutMs }, pipelining: 1 }));
    }
    /** Called once when the balancer starts listening. */
    start() {
        this.timer = setInterval(() => {
            for (const backend of this.backends) {
                const check = this.checkOne(backend).finally(() => this.running.delete(check));
                this.running.add(check);
            }
        }, this.options.intervalMs);
        this.timer.unref();
    }
    async checkOne(backend) {
        const client = this.clients.get(backend.url);
        let passed = false;
        try {
            const response = await client.request({ path: '/health', method: 'GET', signal: AbortSignal.timeout(this.options.timeoutMs) });
            await response.body.dump();
            passed = response.statusCode >= 200 && response.statusCode < 400;
        }
        catch {
            passed = false;
        }
        this.record(backend, passed);
    }
    record(backend, passed) {
        if (passed === backend.healthy) {
            backend.checkStreak = 0;
            return;
        }
        backend.checkStreak++;
        if (backend.checkStreak >= (passed ? this.options.rise : this.options.fall)) {
            backend.healthy = passed;
            backend.healthChangedAt = Date.now();
            backend.checkStreak = 0;
        }
    }
    /** Called on shutdown. */
    async stop() {
        if (this.timer)
            clearInterval(this.timer);
        await Promise.allSettled([...this.running]);
        await Promise.all([...this.clients.values()].map((c) => c.destroy()));
    }
}
//# sourceMappingURL=health-checker.js.map