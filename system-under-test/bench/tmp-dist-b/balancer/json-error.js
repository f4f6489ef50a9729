// The CRM API's error shape, so a client cannot tell a balancer error from a replica error by
// parsing: only by `X-Backend` being absent.
export function sendJsonError(res, status, code, message, extraHeaders = {}) {
    if (res.headersSent) {
        res.destroy();
        return;
    }
    const body = JSON.stringify({ error: { code, message, details: [] } });
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extraHeaders });
    res.end(body);
}
//# sourceMappingURL=json-error.js.map