import { request } from 'undici'
import { TEST_ADMIN_TOKEN } from './sut-processes.js'

/**
 * One request through a balancer; returns status, X-Backend and parsed JSON body (if any). A path
 * under /admin carries the test admin token, as the harness's admin calls do.
 */
export async function send(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; backend: string | null; body: unknown; headers: Record<string, string | string[] | undefined> }> {
  const response = await request(new URL(path, baseUrl), {
    method: (init.method ?? 'GET') as 'GET',
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(path.startsWith('/admin') ? { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } : {}),
      ...init.headers,
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  })
  const text = await response.body.text()
  let body: unknown = text
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    // not JSON: keep the text
  }
  const backend = response.headers['x-backend']
  return { status: response.statusCode, backend: typeof backend === 'string' ? backend : null, body, headers: response.headers }
}

/** Percentile (0..100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

/** Counts values: how many times each occurs. */
export function tally(values: readonly (string | null)[]): Map<string | null, number> {
  const counts = new Map<string | null, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  return counts
}

export interface LoadResult {
  /** Which request of the run (0-based, in send order); results arrive in completion order. */
  index: number
  status: number
  backend: string | null
  latencyMs: number
  /** Set when the request failed without an HTTP answer. */
  error?: string
}

/**
 * A bounded closed-loop load: `concurrency` workers send `total` requests in all (or fewer, when
 * `durationMs` passes first), each worker waiting for its answer before the next. Never unbounded.
 */
export async function runLoad(
  baseUrl: string,
  options: {
    total: number
    concurrency: number
    durationMs?: number
    path?: (i: number) => string
    method?: string
    headers?: (i: number) => Record<string, string>
    body?: (i: number) => unknown
  },
): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  let next = 0
  const deadline = options.durationMs === undefined ? Infinity : performance.now() + options.durationMs
  const worker = async () => {
    for (;;) {
      const i = next++
      if (i >= options.total || performance.now() >= deadline) return
      const started = performance.now()
      try {
        const answer = await send(baseUrl, options.path?.(i) ?? '/customers', {
          method: options.method,
          headers: options.headers?.(i),
          body: options.body?.(i),
        })
        results.push({ index: i, status: answer.status, backend: answer.backend, latencyMs: performance.now() - started })
      } catch (err) {
        results.push({ index: i, status: 0, backend: null, latencyMs: performance.now() - started, error: err instanceof Error ? err.message : String(err) })
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return results
}

/**
 * A bounded open-model load: requests start at a fixed rate whatever the answers do (as real
 * users arrive), for `durationMs`. Latency is measured from each request's intended start, so a
 * stalled backend cannot hide behind a slowed generator. In flight is capped at `maxInFlight`
 * (a request over the cap is recorded with status -1, never silently delayed).
 */
export async function runOpenLoad(
  baseUrl: string,
  options: { ratePerSec: number; durationMs: number; maxInFlight?: number; path: (i: number) => string },
): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  const pending: Promise<void>[] = []
  const maxInFlight = options.maxInFlight ?? 1000
  const start = performance.now()
  const total = Math.floor((options.ratePerSec * options.durationMs) / 1000)
  let inFlight = 0
  for (let i = 0; i < total; i++) {
    const intended = start + (i * 1000) / options.ratePerSec
    const wait = intended - performance.now()
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    if (inFlight >= maxInFlight) {
      results.push({ index: i, status: -1, backend: null, latencyMs: 0, error: 'dropped: in-flight cap reached' })
      continue
    }
    inFlight++
    pending.push(
      send(baseUrl, options.path(i))
        .then(
          (answer) => void results.push({ index: i, status: answer.status, backend: answer.backend, latencyMs: performance.now() - intended }),
          (err: unknown) => void results.push({ index: i, status: 0, backend: null, latencyMs: performance.now() - intended, error: String(err) }),
        )
        .finally(() => void inFlight--),
    )
  }
  await Promise.all(pending)
  return results
}
