import { createServer } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { createCapacityModel } from '../capacity/create-capacity-model.js';
import { MemoryShardStore } from './memory-shard-store.js';
import { DuplicateCustomerIdError, UnknownCustomerError } from './shard-errors.js';
import { MAX_RPC_BODY_BYTES, RPC_ARGS, RPC_OPS, rpcBodySchema } from './shard-rpc.js';
const OPS = new Set(RPC_OPS);
const slowdownBody = z.object({ factor: z.number().positive().finite() });
class HttpError extends Error {
    status;
    code;
    details;
    constructor(status, code, message, details) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = details;
    }
}
function send(res, status, body, headers = {}) {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
    res.end(payload);
}
function sendError(res, status, error, headers) {
    send(res, status, { error }, headers);
}
async function readJson(req) {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/json'))
        throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_RPC_BODY_BYTES)
        throw new HttpError(413, 'payload_too_large', `body over ${MAX_RPC_BODY_BYTES} bytes`);
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
        size += chunk.length;
        if (size > MAX_RPC_BODY_BYTES)
            throw new HttpError(413, 'payload_too_large', `body over ${MAX_RPC_BODY_BYTES} bytes`);
        chunks.push(chunk);
    }
    try {
        return JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
    }
    catch {
        throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
    }
}
function zodDetails(error) {
    return error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
}
/** Called by the shard CLI (and tests) to serve one shard; resolves once listening. */
export async function startShardServer(opts) {
    const store = opts.store ?? new MemoryShardStore();
    await store.init();
    const capacity = createCapacityModel(opts.capacity);
    const registry = new Registry();
    registry.setDefaultLabels({ shard: String(opts.shardIndex) });
    const requests = new Counter({ name: 'shard_requests_total', help: 'RPC requests received, by store operation', labelNames: ['op'], registers: [registry] });
    const duration = new Histogram({
        name: 'shard_request_duration_seconds',
        help: 'Time from request arrival to response, queueing in the capacity model included',
        labelNames: ['op'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        registers: [registry],
    });
    const rejected = new Counter({ name: 'shard_capacity_rejected_total', help: 'Requests refused with 503 because the capacity queue was full', registers: [registry] });
    new Gauge({
        name: 'shard_customers',
        help: 'Customers stored on this shard',
        registers: [registry],
        async collect() {
            this.set(await store.countCustomers());
        },
    });
    new Gauge({ name: 'shard_capacity_in_service', help: 'Requests holding a capacity slot', registers: [registry], collect() { this.set(capacity.stats().inService); } });
    new Gauge({ name: 'shard_capacity_queued', help: 'Requests waiting for a capacity slot', registers: [registry], collect() { this.set(capacity.stats().queued); } });
    const call = store;
    async function handleRpc(op, req, res) {
        requests.inc({ op });
        const endTimer = duration.startTimer({ op });
        res.once('close', () => endTimer());
        const body = rpcBodySchema.safeParse(await readJson(req));
        if (!body.success)
            throw new HttpError(400, 'validation_failed', 'body must be {"args": [...]}', zodDetails(body.error));
        const args = RPC_ARGS[op].safeParse(body.data.args);
        if (!args.success)
            throw new HttpError(400, 'validation_failed', `arguments of ${op} are not valid`, zodDetails(args.error));
        // The slot is held until the response is done or the client went away, like a worker thread.
        const gone = new AbortController();
        let release = null;
        res.once('close', () => (release ? release() : gone.abort()));
        const granted = await capacity.admit(gone.signal);
        if (gone.signal.aborted) {
            granted?.();
            return;
        }
        if (granted === null) {
            rejected.inc();
            sendError(res, 503, { code: 'overloaded', message: `shard ${opts.shardIndex} is at capacity (queue full): retry after 1 second` }, { 'retry-after': '1' });
            return;
        }
        release = granted;
        try {
            const result = await call[op].apply(store, args.data);
            send(res, 200, { result: result === undefined ? null : result });
        }
        catch (error) {
            if (error instanceof UnknownCustomerError) {
                sendError(res, 404, { code: UnknownCustomerError.wireCode, message: error.message, id: error.customerId });
            }
            else if (error instanceof DuplicateCustomerIdError) {
                sendError(res, 409, { code: DuplicateCustomerIdError.wireCode, message: error.message, id: error.id });
            }
            else {
                throw error;
            }
        }
    }
    async function handle(req, res) {
        const path = (req.url ?? '/').split('?', 1)[0];
        if (path.startsWith('/rpc/')) {
            const op = path.slice(5);
            if (!OPS.has(op))
                throw new HttpError(404, 'not_found', `no RPC operation "${op}": use one of ${RPC_OPS.join(', ')}`);
            if (req.method !== 'POST')
                throw new HttpError(405, 'method_not_allowed', 'RPC operations take POST');
            return handleRpc(op, req, res);
        }
        if (req.method === 'GET' && path === '/health')
            return send(res, 200, { status: 'ok', shard: opts.shardIndex });
        if (req.method === 'GET' && path === '/ready')
            return send(res, 200, { status: 'ready', shard: opts.shardIndex });
        if (req.method === 'GET' && path === '/metrics') {
            const text = await registry.metrics();
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(text);
            return;
        }
        if (req.method === 'POST' && path === '/admin/slowdown') {
            const body = slowdownBody.safeParse(await readJson(req));
            if (!body.success)
                throw new HttpError(400, 'validation_failed', 'body must be {"factor": <number > 0>} (1 = normal speed)', zodDetails(body.error));
            capacity.setSlowdown(body.data.factor);
            return send(res, 200, { factor: body.data.factor });
        }
        throw new HttpError(404, 'not_found', `no route ${req.method} ${path}`);
    }
    const server = createServer({ keepAlive: true }, (req, res) => {
        handle(req, res).catch((error) => {
            if (res.headersSent) {
                res.destroy();
                return;
            }
            if (error instanceof HttpError) {
                sendError(res, error.status, { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) });
            }
            else {
                process.stderr.write(`shard ${opts.shardIndex}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
                sendError(res, 500, { code: 'internal', message: error instanceof Error ? error.message : String(error) });
            }
        });
    });
    // Idle keep-alive connections must outlive the clients' own idle timeout (ShardClient: 10 s),
    // so the client is always the side that closes and never writes to a socket being closed.
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 65_000;
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
            server.off('error', reject);
            resolve();
        });
    });
    const { port } = server.address();
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    let closing = null;
    return {
        url: `http://${host}:${port}`,
        close() {
            closing ??= (async () => {
                await new Promise((resolve) => {
                    server.close(() => resolve());
                    server.closeIdleConnections();
                    // In-flight requests get a moment to finish; then nothing may keep the process alive.
                    setTimeout(() => server.closeAllConnections(), 2000).unref();
                });
                await store.close();
            })();
            return closing;
        },
    };
}
//# sourceMappingURL=embedded-shard-server.js.map