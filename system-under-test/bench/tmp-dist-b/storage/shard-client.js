import { Pool } from 'undici';
import { DuplicateCustomerIdError, ShardOverloadedError, ShardUnavailableError, UnknownCustomerError } from './shard-errors.js';
// A ShardStore that lives in an embedded shard server process, reached over the RPC in
// shard-rpc.ts. One undici Pool per shard: keep-alive connections reused across requests, no
// pipelining (one slow request must not hold up the ones queued behind it on a socket, which
// would hide the shard's real queueing in the capacity model), a bounded number of connections.
// Every failure becomes an error naming the shard URL, so a replica's log says which shard failed.
export { ShardOverloadedError, ShardUnavailableError, UnknownCustomerError, DuplicateCustomerIdError } from './shard-errors.js';
export class ShardClient {
    url;
    pool;
    /** Called once per shard when a replica starts; connects lazily, so a shard may come up later (/ready tells). */
    constructor(url, options = {}) {
        let parsed;
        try {
            parsed = new URL(url);
        }
        catch {
            throw new Error(`shard address "${url}" is not a URL: use one such as http://127.0.0.1:7001 (--shards with --store embedded)`);
        }
        if (parsed.protocol !== 'http:') {
            throw new Error(`shard address "${url}" must be an http:// URL such as http://127.0.0.1:7001 for --store embedded (postgres:// URLs need --store postgres)`);
        }
        this.url = parsed.origin;
        const timeoutMs = options.timeoutMs ?? 10_000;
        this.pool = new Pool(this.url, {
            connections: options.connections ?? 16,
            pipelining: 1,
            // Shorter than the server's 60 s, so the client closes idle sockets first (no reset races).
            keepAliveTimeout: 10_000,
            keepAliveMaxTimeout: 30_000,
            connectTimeout: 2_000,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
        });
    }
    async init() { }
    async close() {
        await this.pool.close();
    }
    async ping() {
        try {
            const res = await this.pool.request({ method: 'GET', path: '/health', signal: AbortSignal.timeout(2_000) });
            await res.body.dump();
            return res.statusCode === 200;
        }
        catch {
            return false;
        }
    }
    claimEmail(email, customerId) {
        return this.call('claimEmail', [email, customerId]);
    }
    claimEmails(claims) {
        return this.call('claimEmails', [claims]);
    }
    async releaseEmail(email, customerId) {
        await this.call('releaseEmail', [email, customerId]);
    }
    async insertCustomer(c) {
        await this.call('insertCustomer', [c]);
    }
    async insertCustomers(cs) {
        await this.call('insertCustomers', [cs]);
    }
    getCustomer(id) {
        return this.call('getCustomer', [id]);
    }
    updateCustomer(id, patch, now) {
        return this.call('updateCustomer', [id, patch, now]);
    }
    deleteCustomer(id) {
        return this.call('deleteCustomer', [id]);
    }
    searchCustomers(prefix, limit, after) {
        return this.call('searchCustomers', [prefix, limit, after]);
    }
    countCustomers() {
        return this.call('countCustomers', []);
    }
    async insertContact(c) {
        await this.call('insertContact', [c]);
    }
    listContacts(customerId, limit) {
        return this.call('listContacts', [customerId, limit]);
    }
    async insertDeal(d) {
        await this.call('insertDeal', [d]);
    }
    listDeals(customerId, limit, openOnly) {
        return this.call('listDeals', [customerId, limit, openOnly]);
    }
    async insertActivity(a) {
        await this.call('insertActivity', [a]);
    }
    listActivities(customerId, limit) {
        return this.call('listActivities', [customerId, limit]);
    }
    async call(op, args) {
        let status;
        let retryAfter;
        let text;
        try {
            const res = await this.pool.request({
                method: 'POST',
                path: `/rpc/${op}`,
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ args }),
            });
            status = res.statusCode;
            retryAfter = res.headers['retry-after'];
            text = await res.body.text();
        }
        catch (error) {
            throw new ShardUnavailableError(this.url, `${op} failed: ${describe(error)}`, { cause: error });
        }
        if (status === 200) {
            try {
                return JSON.parse(text).result;
            }
            catch (error) {
                throw new ShardUnavailableError(this.url, `${op} answered 200 with a body that is not JSON`, { cause: error });
            }
        }
        if (status === 503) {
            const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
            throw new ShardOverloadedError(this.url, Number.isFinite(seconds) && seconds >= 0 ? seconds : 1);
        }
        let body;
        try {
            body = JSON.parse(text).error;
        }
        catch {
            body = undefined;
        }
        if (body?.code === UnknownCustomerError.wireCode)
            throw new UnknownCustomerError(body.id ?? '');
        if (body?.code === DuplicateCustomerIdError.wireCode)
            throw new DuplicateCustomerIdError(body.id ?? '');
        const detail = body?.details?.map((d) => `${d.field}: ${d.message}`).join('; ');
        throw new ShardUnavailableError(this.url, `${op} answered ${status}: ${body?.message ?? text.slice(0, 200)}${detail ? ` (${detail})` : ''}`);
    }
}
function describe(error) {
    if (!(error instanceof Error))
        return String(error);
    const code = error.code;
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}${cause}`;
}
//# sourceMappingURL=shard-client.js.map