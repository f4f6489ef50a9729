// The HTTP routes and headers a launcher or a load generator relies on, beyond the CRM API itself
// (which the system-under-test README documents).

/** 200 while the process runs (every role). */
export const HEALTH_PATH = '/health'
/** 200 once the role can serve (a replica: every shard and a redis cache answer), else 503. */
export const READY_PATH = '/ready'
/** Prometheus text (a replica, a shard server; the balancer on its admin port). */
export const METRICS_PATH = '/metrics'
/** POST {customers: [...]} on a replica: bulk seeding, ids in input order. */
export const BULK_CUSTOMERS_PATH = '/admin/customers/bulk'
/** POST {factor} on a replica or a shard server: multiplies the emulated service time (1 = normal). */
export const SLOWDOWN_PATH = '/admin/slowdown'

/** Response headers, lower case as Node.js reports them. */
export const RESPONSE_HEADERS = {
  /** Set by the balancer: the replica URL that answered. */
  backend: 'x-backend',
  /** Set by every replica: its --name. */
  replica: 'x-replica',
  /** Set on cacheable reads: `hit` or `miss`. */
  cache: 'x-cache',
} as const

/** The downstream role's routes the harness reads back to measure sync lag and loss (and sync-call posts to). */
export const DOWNSTREAM_ROUTES = {
  /** POST {changes: [change events]}: sync-call's delivery. */
  changes: '/changes',
  /** POST {ids: [...]}: {versions: [the version held, or null]} in input order. */
  versions: '/versions',
  /** GET ?from&limit: {items: [changes applied, in order, with when]}. */
  applied: '/applied',
  /** GET: counts (applied, duplicates, superseded) and whether its source is connected. */
  stats: '/stats',
} as const
