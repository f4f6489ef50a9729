// What replicas, shard servers, the balancer and the harness agree on over HTTP, beyond the CRM
// API and the routes (http-routes.ts): headers and the admin token. The harness imports these
// names through `#crm-contract`; the system-under-test README documents them for anyone else.

/**
 * Set by a replica on an error answer caused by a dependency (a shard that is down or at
 * capacity), never by its own failure. Value: the dependencies, comma-separated, e.g. `shard-1`.
 * A balancer must not count such an answer toward passive ejection: every replica shares the
 * shard, so ejecting the one that said so only moves the same error to the next replica.
 */
export const DEPENDENCY_FAILURE_HEADER = 'x-dependency-unavailable'

/**
 * The environment variable that hands a role (replica, shard, balancer) its admin token. An
 * environment variable rather than a flag, so the token never shows in `ps`.
 */
export const ADMIN_TOKEN_ENV = 'LOADLAB_ADMIN_TOKEN'

/** How a client presents the admin token: `Authorization: Bearer <token>`. */
export const ADMIN_AUTH_SCHEME = 'Bearer'

/** The request headers of an admin call (a JSON body) with `token`; no `authorization` when the token is unknown. */
export function adminHeaders(token: string | undefined): Record<string, string> {
  return { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `${ADMIN_AUTH_SCHEME} ${token}` }) }
}
