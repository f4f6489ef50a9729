import type { ErrorRequestHandler, RequestHandler, Response } from 'express'
import { DEPENDENCY_FAILURE_HEADER } from '../contract/http-contract.js'
import { DomainError, DownstreamUnavailableError, OverloadedError, UnavailableError, type FieldProblem } from '../domain/domain-errors.js'

// The one place where errors become HTTP responses. Every error body has the same shape:
// {"error":{"code","message","details"?}}. Bad input is always a 4xx; only our own faults are 5xx.

export interface ErrorBody {
  error: { code: string; message: string; details?: FieldProblem[] }
}

export function sendError(res: Response, status: number, code: string, message: string, details?: FieldProblem[]): void {
  const body: ErrorBody = { error: details === undefined ? { code, message } : { code, message, details } }
  res.status(status).json(body)
}

const DOMAIN_STATUS: Record<string, number> = {
  not_found: 404,
  email_taken: 409,
  validation_failed: 400,
  overloaded: 503,
  shard_unavailable: 503,
  downstream_unavailable: 503,
}

/** Errors of the HTTP libraries carry a 4xx `status` when the request was at fault. */
interface HttpishError {
  status?: unknown
  statusCode?: unknown
  message?: unknown
}

export function errorHandler(options: { log?: (line: string) => void } = {}): ErrorRequestHandler {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error)
      return
    }
    if (error instanceof DomainError) {
      if (error instanceof OverloadedError) res.setHeader('Retry-After', String(error.retryAfterSeconds))
      // The balancer must not eject this replica for its shard's failure (see http-contract.ts).
      if (
        (error instanceof OverloadedError || error instanceof UnavailableError || error instanceof DownstreamUnavailableError) &&
        error.dependency !== undefined
      ) {
        res.setHeader(DEPENDENCY_FAILURE_HEADER, error.dependency)
      }
      sendError(res, DOMAIN_STATUS[error.code] ?? 400, error.code, error.message, error.details)
      return
    }
    const e = (typeof error === 'object' && error !== null ? error : {}) as HttpishError
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500
    if (status >= 400 && status < 500) {
      sendError(res, status, 'bad_request', typeof e.message === 'string' ? e.message : 'bad request')
      return
    }
    log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    sendError(res, 500, 'internal', 'internal error: the replica logged the cause')
  }
}

/** 404 for any route the API does not have. */
export const routeNotFound: RequestHandler = (req, res) => {
  sendError(res, 404, 'route_not_found', `no route ${req.method} ${req.path}: see system-under-test/README.md for the API`)
}
