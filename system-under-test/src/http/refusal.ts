/** An answer a server gives a request itself, before any handler runs (bad target, admin guard). */
export interface Refusal {
  status: number
  code: string
  message: string
  /** Extra response headers, e.g. `WWW-Authenticate` on a 401. */
  headers?: Record<string, string>
}
