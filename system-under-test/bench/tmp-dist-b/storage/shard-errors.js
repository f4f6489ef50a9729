import { NotFoundError } from '../domain/domain-errors.js';
// Errors every ShardStore implementation raises alike, so the replica handles a shard the same
// whether it is in-process, an embedded shard server or PostgreSQL. Shard servers send them over
// the wire as `{error: {code, message}}` and ShardClient turns the code back into the same class.
/** A child record (contact, deal, activity) for a customer the shard does not hold; the API answers 404. */
export class UnknownCustomerError extends NotFoundError {
    static wireCode = 'unknown_customer';
    customerId;
    constructor(customerId) {
        super(`customer ${customerId} does not exist on this shard`);
        this.customerId = customerId;
    }
}
/** insertCustomer with an id the shard already holds: a bug in the caller (ids are unique), not a user error. */
export class DuplicateCustomerIdError extends Error {
    static wireCode = 'duplicate_id';
    id;
    constructor(id) {
        super(`customer id ${id} already exists on this shard`);
        this.name = 'DuplicateCustomerIdError';
        this.id = id;
    }
}
/** The shard's capacity queue is full (HTTP 503): the replica answers 503 with Retry-After too. */
export class ShardOverloadedError extends Error {
    shardUrl;
    /** Seconds the shard asked callers to wait (its Retry-After). */
    retryAfterSeconds;
    constructor(shardUrl, retryAfterSeconds) {
        super(`shard ${shardUrl} is overloaded (capacity queue full): retry after ${retryAfterSeconds}s`);
        this.name = 'ShardOverloadedError';
        this.shardUrl = shardUrl;
        this.retryAfterSeconds = retryAfterSeconds;
    }
}
/** The shard could not be reached or answered something unusable (connection refused, timeout, 5xx). */
export class ShardUnavailableError extends Error {
    shardUrl;
    constructor(shardUrl, what, options) {
        super(`shard ${shardUrl}: ${what}`, options);
        this.name = 'ShardUnavailableError';
        this.shardUrl = shardUrl;
    }
}
//# sourceMappingURL=shard-errors.js.map