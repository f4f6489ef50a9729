// What the throughput benchmarks (replica-vs-hello.ts, balancer-throughput.ts) share: settings
// from the environment, one autocannon measurement, a seeded replica with a warm cache, and the
// statistics their verdicts use. Servers run as child processes (test/support/sut-processes.ts),
// so the load generator in this process shares no event loop with them.

import autocannon from 'autocannon'
import { spawnRole, stopAll, TEST_ADMIN_HEADERS } from '../test/support/sut-processes.js'

/** Distinct request entries per target, so the generator does the same work for every target. */
export const REQUEST_ENTRIES = 100

/** A positive number from the environment variable `name`, or `fallback` when unset; exits 2 naming it when invalid. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`${name}=${raw} is not valid: use a positive number\n`)
    process.exit(2)
  }
  return n
}

/** One autocannon run against one target. */
export interface Measured {
  requestsPerSecond: number
  non2xx: number
  errors: number
  p99Ms: number
}

/** GETs `paths` in turn at `url` over `connections` connections for `seconds`. */
export async function measure(url: string, paths: readonly string[], seconds: number, connections: number): Promise<Measured> {
  const result = await autocannon({ url, connections, duration: seconds, requests: paths.map((path) => ({ method: 'GET', path })) })
  return { requestsPerSecond: result.requests.average, non2xx: result.non2xx, errors: result.errors, p99Ms: result.latency.p99 }
}

/**
 * Starts a shard and a replica over it (`single` partition, `lru` cache with room for every
 * customer), seeds `customers` customers (emails `<emailPrefix>-<i>-<now>@example.com`) and reads
 * each once so the cache is warm. Resolves with the replica's url and the seeded ids.
 */
export async function startSeededReplica(customers: number, emailPrefix: string): Promise<{ url: string; ids: string[] }> {
  const shard = await spawnRole('shard', ['--port', '0', '--shard-index', '0'])
  const replica = await spawnRole('replica', [
    '--port',
    '0',
    '--shards',
    shard.url,
    '--partition',
    'single',
    '--cache',
    'lru',
    '--cache-size',
    String(customers * 2),
  ])
  const now = Date.now()
  const seeded = Array.from({ length: customers }, (_, i) => ({
    name: `Bench Customer ${i}`,
    email: `${emailPrefix}-${i}-${now}@example.com`,
    company: `Company ${i % 97}`,
    segment: (['smb', 'mid-market', 'enterprise'] as const)[i % 3],
    createdAt: new Date(now - (i + 1) * 60_000).toISOString(),
  }))
  const res = await fetch(`${replica.url}/admin/customers/bulk`, {
    method: 'POST',
    headers: { ...TEST_ADMIN_HEADERS },
    body: JSON.stringify({ customers: seeded }),
  })
  if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${await res.text()}`)
  const { ids } = (await res.json()) as { ids: string[] }
  await Promise.all(ids.map((id) => fetch(`${replica.url}/customers/${id}`).then((r) => r.arrayBuffer())))
  return { url: replica.url, ids }
}

/** REQUEST_ENTRIES GET /customers/:id paths spread over `ids`. */
export function customerPaths(ids: readonly string[]): string[] {
  return Array.from({ length: REQUEST_ENTRIES }, (_, i) => `/customers/${ids[(i * 7919) % ids.length]}`)
}

export function meanRps(runs: readonly Measured[]): number {
  return runs.reduce((sum, m) => sum + m.requestsPerSecond, 0) / runs.length
}

export function worstP99(runs: readonly Measured[]): number {
  return Math.max(...runs.map((m) => m.p99Ms))
}

/** Non-2xx answers plus errors: any makes the figures incomparable. */
export function failuresOf(runs: readonly Measured[]): number {
  return runs.reduce((sum, m) => sum + m.non2xx + m.errors, 0)
}

/** The verdicts use the median of per-round ratios, so one round disturbed by a burst cannot decide. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Runs a benchmark's main; on an error says so, stops every child process and exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch(async (error: unknown) => {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    await stopAll()
    process.exit(1)
  })
}
