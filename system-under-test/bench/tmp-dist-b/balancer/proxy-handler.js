import { pipeline } from 'node:stream';
import { sendJsonError } from './json-error.js';
// Headers that describe one hop's connection, not the message: never forwarded (RFC 9110 7.6.1).
// `expect` is dropped because undici does not implement 100-continue.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect']);
const RETRYABLE_METHODS = new Set(['GET', 'HEAD']);
/**
 * Creates the request listener of the balancer's main port. Per request: pick a backend, stream
 * the request to it through the backend's keep-alive pool, stream the answer back with
 * `X-Backend`. A GET/HEAD whose backend could not be reached (refused, reset before any answer)
 * is retried once on another backend; any other method is never retried: the backend may have
 * applied it, and a second copy would be a duplicate write.
 */
export function createProxyHandler({ backends, balancer, metrics }) {
    return function handle(req, res) {
        void proxy(req, res);
    };
    async function proxy(req, res) {
        const method = req.method ?? 'GET';
        const path = req.url ?? '/';
        const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0' || req.headers['transfer-encoding'] !== undefined;
        const retryable = RETRYABLE_METHODS.has(method) && !hasBody;
        const headers = forwardHeaders(req);
        const abort = new AbortController();
        res.on('close', () => {
            if (!res.writableFinished)
                abort.abort();
        });
        let tried;
        let lastFailure = null;
        for (let attempt = 0; attempt < (retryable ? 2 : 1); attempt++) {
            const backend = balancer.pick({ method, path, exclude: tried }, backends.list);
            if (!backend)
                break;
            backends.onSend(backend);
            let released = false;
            const release = () => {
                if (!released) {
                    released = true;
                    backend.inFlight--;
                }
            };
            try {
                const answer = await backend.pool.request({
                    method: method,
                    path,
                    headers,
                    body: hasBody ? req : undefined,
                    signal: abort.signal,
                });
                if (answer.statusCode >= 500)
                    backends.onFailure(backend, 'status_5xx');
                else
                    backends.onGoodAnswer(backend);
                res.writeHead(answer.statusCode, responseHeaders(answer.headers, backend.url));
                pipeline(answer.body, res, (err) => {
                    release();
                    if (err && !abort.signal.aborted)
                        backends.onFailure(backend, 'response_aborted');
                });
                return;
            }
            catch (err) {
                release();
                if (abort.signal.aborted)
                    return; // the client went away; nothing to answer, not the backend's fault
                const kind = classify(err);
                backends.onFailure(backend, kind);
                lastFailure = { backend, kind };
                const beforeAnyResponse = kind === 'connect' || kind === 'reset';
                if (!(retryable && beforeAnyResponse))
                    break;
                tried = new Set([...(tried ?? []), backend.url]);
                if (attempt === 0)
                    metrics.retries.inc();
            }
        }
        if (lastFailure) {
            const { backend, kind } = lastFailure;
            const status = kind === 'timeout' ? 504 : 502;
            sendJsonError(res, status, kind === 'timeout' ? 'backend_timeout' : 'bad_gateway', retryable
                ? `backend ${backend.url} failed (${kind}) and no other backend could serve this ${method}`
                : `backend ${backend.url} failed (${kind}); a ${method} is not retried because the backend may already have applied it`);
            return;
        }
        metrics.noBackend.inc();
        sendJsonError(res, 503, 'no_backend', 'no backend is available (all unhealthy, ejected or draining); retry later', { 'retry-after': '1' });
    }
}
function forwardHeaders(req) {
    const out = {};
    for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name))
            continue;
        out[name] = value;
    }
    const peer = req.socket.remoteAddress;
    if (peer)
        out['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${peer}` : peer;
    return out;
}
function responseHeaders(headers, backendUrl) {
    const out = {};
    for (const [name, value] of Object.entries(headers)) {
        if (value === undefined || HOP_BY_HOP.has(name))
            continue;
        out[name] = value;
    }
    out['x-backend'] = backendUrl;
    return out;
}
/** Maps undici/socket errors to the kinds the metrics and the retry rule use. */
function classify(err) {
    const code = err?.code ?? '';
    switch (code) {
        case 'ECONNREFUSED':
        case 'UND_ERR_CONNECT_TIMEOUT':
        case 'EHOSTUNREACH':
        case 'ENOTFOUND':
        case 'EADDRNOTAVAIL':
            return 'connect';
        case 'ECONNRESET':
        case 'EPIPE':
        case 'UND_ERR_SOCKET':
        case 'UND_ERR_CLOSED':
            return 'reset';
        case 'UND_ERR_HEADERS_TIMEOUT':
        case 'UND_ERR_BODY_TIMEOUT':
            return 'timeout';
        default:
            return 'reset';
    }
}
//# sourceMappingURL=proxy-handler.js.map