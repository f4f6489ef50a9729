// Errors the CRM use cases raise on purpose. Each names what went wrong in words a client can act
// on; the HTTP layer maps them to status codes in one place (api/error-handler.ts), so the domain
// never knows about HTTP.

/** One bad input field, reported back to the client as `details[]`. */
export interface FieldProblem {
  field: string
  message: string
}

export abstract class DomainError extends Error {
  /** Machine-readable code, stable for clients (`error.code` in the response body). */
  abstract readonly code: string
  readonly details: FieldProblem[] | undefined
  constructor(message: string, details?: FieldProblem[]) {
    super(message)
    this.name = new.target.name
    this.details = details
  }
}

/** An id that does not exist (customer, or the customer a child record would belong to). */
export class NotFoundError extends DomainError {
  readonly code = 'not_found'
}

/** The email is already held by another customer; `holderId` says which one. */
export class ConflictError extends DomainError {
  readonly code = 'email_taken'
  readonly holderId: string
  constructor(message: string, holderId: string) {
    super(message, [{ field: 'email', message: `already used by customer ${holderId}` }])
    this.holderId = holderId
  }
}

/** Input that passed the schema but is still unusable (for example a cursor that does not decode). */
export class ValidationError extends DomainError {
  readonly code = 'validation_failed'
}

/** A shard (or this replica) is past its capacity: the client should retry later. */
export class OverloadedError extends DomainError {
  readonly code = 'overloaded'
  /** Seconds the client should wait, sent as Retry-After. */
  readonly retryAfterSeconds: number
  /** The dependency at capacity (`shard-<n>`), or undefined when it is this replica itself. */
  readonly dependency: string | undefined
  constructor(message: string, retryAfterSeconds = 1, dependency?: string) {
    super(message)
    this.retryAfterSeconds = retryAfterSeconds
    this.dependency = dependency
  }
}

/** A shard could not be reached or failed: the request may succeed later, but not on another replica (they share the shard). */
export class UnavailableError extends DomainError {
  readonly code = 'shard_unavailable'
  /** The dependency that failed, e.g. `shard-1`. */
  readonly dependency: string
  constructor(message: string, dependency: string) {
    super(message)
    this.dependency = dependency
  }
}

/**
 * The downstream system did not take a change (sync strategy `sync-call`). The change is stored in
 * the CRM but not acknowledged to the client; downstream gets the record with its next change.
 */
export class DownstreamUnavailableError extends DomainError {
  readonly code = 'downstream_unavailable'
  readonly dependency = 'downstream'
}
