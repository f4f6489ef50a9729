import { z } from 'zod'
import { newAdminToken } from '../admin/admin-token.js'
import { BALANCER_STRATEGIES } from '../strategies/balancer/balancer.js'
import { BALANCER_ENGINES, type BalancerEngineName } from '../contract/strategy-names.js'

// The names are part of the contract with the harness.
export { BALANCER_ENGINES, type BalancerEngineName }

const backendUrl = z
  .string()
  .trim()
  .refine((text) => {
    try {
      const url = new URL(text)
      return url.protocol === 'http:' && (url.pathname === '/' || url.pathname === '') && url.port !== ''
    } catch {
      return false
    }
  }, 'must be an http origin with a port, like http://127.0.0.1:8001')
  // One spelling per backend: it is the X-Backend value and the metrics label.
  .transform((text) => new URL(text).origin)

/**
 * Everything a balancer (any engine) needs. Parsed once at the boundary (CLI flags or a test's
 * object literal) by `balancerOptionsSchema`.
 */
export const balancerOptionsSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(0),
    adminPort: z.number().int().min(0).max(65535).default(0),
    strategy: z.enum(BALANCER_STRATEGIES, {
      error: (issue) => `unknown strategy ${JSON.stringify(issue.input)}: use one of ${BALANCER_STRATEGIES.join(', ')}`,
    }),
    engine: z
      .enum(BALANCER_ENGINES, {
        error: (issue) => `unknown engine ${JSON.stringify(issue.input)}: use one of ${BALANCER_ENGINES.join(', ')}`,
      })
      .default('builtin'),
    backends: z.array(backendUrl).min(1, 'give at least one backend, like --backends http://127.0.0.1:8001'),
    /** Relative weights, same order as backends; default 1 each. */
    weights: z.array(z.number().int().min(1).max(256)).optional(),
    healthIntervalMs: z.number().int().min(10).default(1000),
    healthTimeoutMs: z.number().int().min(1).default(500),
    rise: z.number().int().min(1).default(2),
    fall: z.number().int().min(1).default(2),
    /** Consecutive connect errors or 5xx answers that eject a backend (passive health). */
    ejectAfter: z.number().int().min(1).default(3),
    ejectMs: z.number().int().min(1).default(5000),
    /** Keep-alive connections per backend in the built-in balancer's pool. */
    connectionsPerBackend: z.number().int().min(1).default(64),
    /** Folder for a real engine's generated config, logs and pid (default: a new temp dir). */
    workDir: z.string().optional(),
    /** Ring points per backend for consistent-hash. */
    virtualNodes: z.number().int().min(1).default(160),
    /** Largest request body the balancer forwards: a declared Content-Length over it is a 413 at once (as nginx's client_max_body_size). */
    maxBodyBytes: z
      .number()
      .int()
      .min(0)
      .default(1024 * 1024),
    /** The token the admin port requires (the CLI takes it from LOADLAB_ADMIN_TOKEN); a random one when omitted. */
    adminToken: z
      .string()
      .min(1)
      .default(() => newAdminToken()),
  })
  .superRefine((o, ctx) => {
    if (o.weights && o.weights.length !== o.backends.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['weights'],
        message: `${o.weights.length} weights for ${o.backends.length} backends: give one weight per backend, in the same order`,
      })
    }
    if (new Set(o.backends).size !== o.backends.length) {
      ctx.addIssue({ code: 'custom', path: ['backends'], message: 'a backend is listed twice: list each once (use --weights for shares)' })
    }
  })

export type BalancerOptionsInput = z.input<typeof balancerOptionsSchema>
export type BalancerOptions = z.output<typeof balancerOptionsSchema>
