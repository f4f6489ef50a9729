import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import { DEPENDENCY_FAILURE_HEADER } from '../contract/http-contract.js'
import type { Balancer } from '../strategies/balancer/balancer.js'
import type { Backend } from './backend.js'
import type { BackendSet } from './backend-set.js'
import type { BackendErrorKind, BalancerMetrics } from './balancer-metrics.js'
import { sendJsonError } from './json-error.js'
import { screenRequest } from './screen-request.js'

// Headers that describe one hop's connection, not the message: never forwarded (RFC 9110 7.6.1).
// `expect` is dropped because undici does not implement 100-continue.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect'])

const RETRYABLE_METHODS = new Set(['GET', 'HEAD'])

interface ProxyDeps {
  backends: BackendSet
  balancer: Balancer
  metrics: BalancerMetrics
  /** Largest request body forwarded (declared Content-Length). */
  maxBodyBytes: number
}

/**
 * Creates the request listener of the balancer's main port. Per request: pick a backend, stream
 * the request to it through the backend's keep-alive pool, stream the answer back with
 * `X-Backend`. A GET/HEAD whose backend could not be reached (refused, reset before any answer)
 * is retried once on another backend; any other method is never retried: the backend may have
 * applied it, and a second copy would be a duplicate write.
 *
 * What counts against a backend (toward passive ejection) is only what says something about it:
 * a failure to reach it, a cut answer, or a 5xx of its own. A request the client got wrong is
 * answered 400 here and never reaches or blames a backend; a 5xx the backend marks as its
 * dependency's (DEPENDENCY_FAILURE_HEADER) is passed on without blaming it either.
 */
export function createProxyHandler({ backends, balancer, metrics, maxBodyBytes }: ProxyDeps) {
  return function handle(req: IncomingMessage, res: ServerResponse): void {
    void proxy(req, res)
  }

  async function proxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = screenRequest(req, maxBodyBytes)
    if (refusal) {
      sendJsonError(res, refusal.status, refusal.code, refusal.message, refusal.headers)
      return
    }
    const method = req.method ?? 'GET'
    const path = req.url ?? '/'
    const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined
    const retryable = RETRYABLE_METHODS.has(method) && !hasBody
    const headers = forwardHeaders(req)

    let tried: Set<string> | undefined
    let lastFailure: { backend: Backend; kind: BackendErrorKind } | null = null
    for (let attempt = 0; attempt < (retryable ? 2 : 1); attempt++) {
      const backend = balancer.pick({ method, path, exclude: tried }, backends.list) as Backend | null
      if (!backend) break
      backends.onSend(backend)
      const attemptState = { answered: false }
      try {
        await relay(backend, { method, path, headers, body: hasBody ? req : undefined }, res, attemptState, (statusCode, blamesDependency) => {
          if (statusCode < 500) backends.onGoodAnswer(backend)
          else if (blamesDependency) backends.onDependencyFailure(backend)
          else backends.onFailure(backend, 'status_5xx')
        })
        backend.inFlight--
        return
      } catch (err) {
        backend.inFlight--
        if (attemptState.answered || res.headersSent) {
          // Cut mid-answer (backend died or the client left): the status is already sent; all
          // we can do is close the connection so the client sees a truncated response.
          if (!res.destroyed && !res.writableFinished) res.destroy()
          if (!res.writableFinished && !isClientGone(res)) backends.onFailure(backend, 'response_aborted')
          return
        }
        if (isClientGone(res)) return // the client went away first; not the backend's fault
        if (isClientError(err)) {
          // The request could not be sent as the client wrote it (undici refused it, or the
          // client's body ended short of its Content-Length): the client's error, nobody else's.
          sendJsonError(res, 400, 'bad_request', `the request cannot be forwarded: ${(err as Error).message}`, { connection: 'close' })
          return
        }
        const kind = classify(err)
        backends.onFailure(backend, kind)
        lastFailure = { backend, kind }
        const beforeAnyResponse = kind === 'connect' || kind === 'reset'
        if (!(retryable && beforeAnyResponse)) break
        tried = new Set([...(tried ?? []), backend.url])
        if (attempt === 0) metrics.retries.inc()
      }
    }

    if (lastFailure) {
      const { backend, kind } = lastFailure
      const status = kind === 'timeout' ? 504 : 502
      sendJsonError(
        res,
        status,
        kind === 'timeout' ? 'backend_timeout' : 'bad_gateway',
        retryable
          ? `backend ${backend.url} failed (${kind}) and no other backend could serve this ${method}`
          : `backend ${backend.url} failed (${kind}); a ${method} is not retried because the backend may already have applied it`,
      )
      return
    }
    metrics.noBackend.inc()
    sendJsonError(res, 503, 'no_backend', 'no backend is available (all unhealthy, ejected or draining); retry later', { 'retry-after': '1' })
  }
}

/**
 * Sends one request to `backend` and relays the answer into `res` at undici's lowest level
 * (dispatch handlers: no intermediate streams or promises per chunk), with backpressure. Resolves
 * when the answer is fully relayed; rejects on any failure, with `state.answered` telling whether
 * the status line had already gone to the client (then nothing may be retried).
 */
function relay(
  backend: Backend,
  options: { method: string; path: string; headers: string[]; body: IncomingMessage | undefined },
  res: ServerResponse,
  state: { answered: boolean },
  onAnswer: (statusCode: number, blamesDependency: boolean) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    backend.pool.dispatch(options as Dispatcher.DispatchOptions, {
      onRequestStart(controller) {
        // The client left: stop reading from the backend.
        res.once('close', () => {
          if (!res.writableFinished) controller.abort(new Error('client closed the connection'))
        })
      },
      onResponseStart(_controller, statusCode, headers) {
        if (statusCode < 200) return // 1xx: informational, the real answer follows
        state.answered = true
        onAnswer(statusCode, statusCode >= 500 && (headers as Record<string, unknown>)[DEPENDENCY_FAILURE_HEADER] !== undefined)
        res.writeHead(statusCode, responseHeaders(headers as Record<string, string | string[] | undefined>, backend.url))
      },
      onResponseData(controller, chunk) {
        if (!res.write(chunk)) {
          controller.pause()
          res.once('drain', () => controller.resume())
        }
      },
      onResponseEnd() {
        res.end()
        resolve()
      },
      onResponseError(_controller, error) {
        reject(error)
      },
    })
  })
}

function isClientGone(res: ServerResponse): boolean {
  return res.destroyed || res.socket === null || res.socket.destroyed
}

// Headers go as flat [name, value, ...] arrays (undici and writeHead both take them): cheaper
// than building objects on the hot path.
function forwardHeaders(req: IncomingMessage): string[] {
  const raw = req.rawHeaders
  const out: string[] = []
  let forwardedFor: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    if (HOP_BY_HOP.has(name)) continue
    if (name === 'x-forwarded-for') {
      forwardedFor = forwardedFor ? `${forwardedFor}, ${raw[i + 1]}` : raw[i + 1]
      continue
    }
    out.push(raw[i]!, raw[i + 1]!)
  }
  const peer = req.socket.remoteAddress
  if (peer) out.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${peer}` : peer)
  else if (forwardedFor) out.push('x-forwarded-for', forwardedFor)
  return out
}

function responseHeaders(headers: Record<string, string | string[] | undefined>, backendUrl: string): string[] {
  const out: string[] = []
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || HOP_BY_HOP.has(name)) continue
    if (Array.isArray(value)) for (const v of value) out.push(name, v)
    else out.push(name, value)
  }
  out.push('x-backend', backendUrl)
  return out
}

// undici's codes for a request it refuses to send as given (a header it cannot forward) and for a
// body that ended before its declared Content-Length: both are the client's doing.
const CLIENT_ERROR_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_NOT_SUPPORTED'])

function isClientError(err: unknown): boolean {
  return CLIENT_ERROR_CODES.has((err as { code?: string } | null)?.code ?? '')
}

/** Maps undici/socket errors to the kinds the metrics and the retry rule use. */
function classify(err: unknown): BackendErrorKind {
  const code = (err as { code?: string } | null)?.code ?? ''
  switch (code) {
    case 'ECONNREFUSED':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'EADDRNOTAVAIL':
      return 'connect'
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'reset'
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timeout'
    default:
      return 'reset'
  }
}
