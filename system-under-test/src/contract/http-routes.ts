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
