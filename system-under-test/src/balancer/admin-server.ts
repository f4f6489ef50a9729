import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { z } from 'zod'
import { checkAdminRequest } from '../admin/admin-guard.js'
import { UnknownBackendError, UnsupportedControlError, type BalancerControl } from './balancer-control.js'
import { sendJsonError } from './json-error.js'

const MAX_ADMIN_BODY = 64 * 1024

const urlBody = z.object({ url: z.string().min(1) })
const weightsBody = z.record(z.string(), z.number().int().min(1).max(256))

/**
 * The admin port (127.0.0.1 only): state, drain/undrain, weights, and Prometheus metrics. It is a
 * separate port so load on the main port can never reach it and it can never be proxied. Every
 * route but GET /metrics needs the admin token, a loopback Host and, on POST, a JSON body
 * (admin-guard.ts); /metrics stays open for scrapers.
 */
export function createAdminServer(control: BalancerControl, adminToken: string): Server {
  return createServer((req, res) => {
    if (!(req.method === 'GET' && (req.url ?? '/').split('?')[0] === '/metrics')) {
      const refusal = checkAdminRequest(req, { token: adminToken, boundHost: '127.0.0.1' })
      if (refusal) return sendJsonError(res, refusal.status, refusal.code, refusal.message, { ...refusal.headers, connection: 'close' })
    }
    handle(control, req, res).catch((err: unknown) => {
      if (err instanceof UnknownBackendError) return sendJsonError(res, 404, 'unknown_backend', err.message)
      if (err instanceof UnsupportedControlError) return sendJsonError(res, 501, 'not_supported', err.message)
      if (err instanceof BadRequest) return sendJsonError(res, err.status, err.code, err.message)
      sendJsonError(res, 500, 'internal', err instanceof Error ? err.message : String(err))
    })
  })
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

async function handle(control: BalancerControl, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]
  const route = `${req.method} ${path}`
  switch (route) {
    case 'GET /metrics': {
      const { contentType, body } = await control.metrics()
      res.writeHead(200, { 'content-type': contentType })
      res.end(body)
      return
    }
    case 'GET /admin/backends':
      return sendJson(res, 200, await control.snapshot())
    case 'POST /admin/backends/drain':
      await control.drain(parse(urlBody, await readJson(req)).url)
      return sendJson(res, 200, await control.snapshot())
    case 'POST /admin/backends/undrain':
      await control.undrain(parse(urlBody, await readJson(req)).url)
      return sendJson(res, 200, await control.snapshot())
    case 'POST /admin/weights':
      await control.setWeights(parse(weightsBody, await readJson(req)))
      return sendJson(res, 200, await control.snapshot())
    default:
      throw new BadRequest(
        404,
        'not_found',
        `no admin route ${route}: use GET /admin/backends, POST /admin/backends/drain {url}, POST /admin/backends/undrain {url}, POST /admin/weights {"<url>": <weight>}, GET /metrics`,
      )
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value)
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')
    throw new BadRequest(400, 'validation_failed', `invalid body (${detail})`)
  }
  return result.data
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_ADMIN_BODY) throw new BadRequest(413, 'payload_too_large', 'admin body over 64 KiB')
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new BadRequest(400, 'invalid_json', 'admin body is not valid JSON')
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}
