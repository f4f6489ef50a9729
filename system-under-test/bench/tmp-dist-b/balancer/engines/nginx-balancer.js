import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAdminServer } from '../admin-server.js';
import { UnknownBackendError } from '../balancer-control.js';
import { closeServer, listen } from '../listen.js';
import { createEngineMetrics } from './engine-counters.js';
import { startSupervisedProcess } from './engine-process.js';
import { prepareWorkDir } from './engine-work-dir.js';
import { freePort } from './free-port.js';
import { NginxAccessLog } from './nginx-access-log.js';
import { renderNginxConfig } from './nginx-config.js';
const NOTES = [
    'nginx (open source) has no active health checks: "healthy" is not observed; failing backends are skipped passively (max_fails/fail_timeout)',
    'nginx does not report requests in flight per backend: inFlight is 0',
    'request counts come from the access log, flushed every 200 ms',
];
/**
 * Runs real nginx as the balancer: generates nginx.conf, starts it in the foreground
 * (`-g 'daemon off;'`) as our child, counts per-backend requests from its access log, and applies
 * drain/weight changes by rewriting the config and sending SIGHUP (nginx's graceful reload).
 */
export async function startNginxBalancer(options) {
    const workDir = await prepareWorkDir('nginx', options.workDir);
    const metrics = createEngineMetrics();
    const drained = new Set();
    const weights = options.backends.map((_, i) => options.weights?.[i] ?? 1);
    const urlByAddress = new Map(options.backends.map((url) => [new URL(url).host, url]));
    const log = new NginxAccessLog(join(workDir.path, 'access.log'), (address) => urlByAddress.get(address) ?? `http://${address}`);
    const indexOf = (url) => {
        let origin = url;
        try {
            origin = new URL(url).origin;
        }
        catch {
            // keep as typed; reported as unknown below
        }
        const index = options.backends.indexOf(origin);
        if (index < 0)
            throw new UnknownBackendError(url, options.backends);
        return index;
    };
    let port = options.port;
    let adminPort = 0;
    let proc = null;
    const configPath = join(workDir.path, 'nginx.conf');
    const writeConfig = () => writeFile(configPath, renderNginxConfig({
        ...options, port, adminPort, workDir: workDir.path, weights, drained,
        runAsRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    }));
    const reload = async () => {
        await writeConfig();
        proc?.child.kill('SIGHUP');
    };
    const snapshot = async () => {
        await log.read();
        return {
            engine: 'nginx',
            strategy: options.strategy,
            notes: NOTES,
            backends: options.backends.map((url, i) => {
                const errors = Object.values(log.errors.get(url) ?? {}).reduce((a, b) => a + (b ?? 0), 0);
                return {
                    url,
                    weight: weights[i],
                    healthy: true,
                    ejected: false,
                    draining: drained.has(url),
                    up: !drained.has(url),
                    inFlight: 0,
                    requests: log.requests.get(url) ?? 0,
                    errors,
                    ejections: 0,
                    lastSentAt: log.lastSeenAt.get(url) ?? null,
                    healthChangedAt: null,
                    ejectedAt: null,
                };
            }),
        };
    };
    const control = {
        snapshot,
        async drain(url) {
            drained.add(options.backends[indexOf(url)]);
            await reload();
        },
        async undrain(url) {
            drained.delete(options.backends[indexOf(url)]);
            await reload();
        },
        async setWeights(changes) {
            const resolved = Object.entries(changes).map(([url, weight]) => [indexOf(url), weight]);
            for (const [i, weight] of resolved)
                weights[i] = weight;
            await reload();
        },
        async metrics() {
            const snap = await snapshot();
            metrics.update({ backends: snap.backends, errors: log.errors, retries: log.retries });
            return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
        },
    };
    const admin = createAdminServer(control);
    adminPort = await listen(admin, options.adminPort, '127.0.0.1');
    try {
        if (port === 0)
            port = await freePort(options.host);
        await writeConfig();
        proc = await startSupervisedProcess('nginx', ['-p', workDir.path, '-c', configPath, '-g', 'daemon off;'], { host: options.host, port });
        const running = proc;
        let closing = null;
        return {
            url: `http://${options.host}:${port}`,
            adminUrl: `http://127.0.0.1:${adminPort}`,
            control,
            exited: running.exited,
            close() {
                // SIGQUIT = nginx's graceful shutdown: finish open requests, then exit.
                closing ??= (async () => {
                    await running.stop('SIGQUIT', 3000);
                    await closeServer(admin);
                    await workDir.cleanup();
                })();
                return closing;
            },
        };
    }
    catch (err) {
        await closeServer(admin);
        await workDir.cleanup();
        throw err;
    }
}
//# sourceMappingURL=nginx-balancer.js.map