// How a role says it serves: exactly these lines on stdout, `LISTENING <url>` first (the line a
// launcher waits for); the balancer adds `ADMIN <url>` (its metrics and admin port). Anything
// else a role prints goes to stderr.

/** The first ready line of every role. */
export function listeningLine(url: string): string {
  return `LISTENING ${url}`
}

/** The balancer's second ready line. */
export function adminLine(url: string): string {
  return `ADMIN ${url}`
}

/** Matches a `LISTENING` line; group 1 is the URL. */
export const LISTENING_LINE = /^LISTENING (http:\/\/\S+)/
/** Matches an `ADMIN` line; group 1 is the URL. */
export const ADMIN_LINE = /^ADMIN (http:\/\/\S+)/
