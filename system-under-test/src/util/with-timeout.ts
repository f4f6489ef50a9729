/**
 * `promise`, or a rejection `no answer within <ms> ms` if it has not settled by then. Used by the
 * readiness checks, so a hung shard or cache makes /ready answer 503 instead of hanging.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
