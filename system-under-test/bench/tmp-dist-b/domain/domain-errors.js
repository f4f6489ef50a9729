// Errors the CRM use cases raise on purpose. Each names what went wrong in words a client can act
// on; the HTTP layer maps them to status codes in one place (api/error-handler.ts), so the domain
// never knows about HTTP.
export class DomainError extends Error {
    details;
    constructor(message, details) {
        super(message);
        this.name = new.target.name;
        this.details = details;
    }
}
/** An id that does not exist (customer, or the customer a child record would belong to). */
export class NotFoundError extends DomainError {
    code = 'not_found';
}
/** The email is already held by another customer; `holderId` says which one. */
export class ConflictError extends DomainError {
    code = 'email_taken';
    holderId;
    constructor(message, holderId) {
        super(message, [{ field: 'email', message: `already used by customer ${holderId}` }]);
        this.holderId = holderId;
    }
}
/** Input that passed the schema but is still unusable (for example a cursor that does not decode). */
export class ValidationError extends DomainError {
    code = 'validation_failed';
}
/** A shard (or this replica) is past its capacity: the client should retry later. */
export class OverloadedError extends DomainError {
    code = 'overloaded';
    /** Seconds the client should wait, sent as Retry-After. */
    retryAfterSeconds;
    constructor(message, retryAfterSeconds = 1) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }
}
/** A shard could not be reached or failed: the request may succeed later or on another replica. */
export class UnavailableError extends DomainError {
    code = 'shard_unavailable';
}
//# sourceMappingURL=domain-errors.js.map