import { Pool } from 'undici'
import type { VersionTracker } from './version-tracker.js'

// lost_writes: after a run, every record the CRM acknowledged a write for is read back. Missing
// (404) or older than the acknowledged version = lost. Each record gets up to ATTEMPTS reads,
// because behind a balancer one replica's stale cache may answer with an old version while the
// write itself is safe: a stale cache is a stale read, not a lost write. A record that never
// gave a usable answer (5xx, no response) is "unverified", not lost. Every read asks every cache
// on the way to step aside (Cache-Control: no-cache; the replica then reads from its shard): a
// per-replica cache that missed an invalidation must not make a safe write look lost.

const ATTEMPTS = 3
const CONCURRENCY = 16
/** Sent with every verification read: answer from the store, not from a cache. */
export const BYPASS_CACHES = { 'cache-control': 'no-cache' } as const

export interface VerifyWritesResult {
  /** Records missing or older than acknowledged on every attempt. */
  count: number
  /** Records read back with a definite answer (found or missing). */
  checked: number
  /** Records that could not be read back (5xx or no response on every attempt). */
  unverified: number
}

type Verdict = 'ok' | 'lost' | 'unverified'

/** Reads back every write `versions` tracked from `target`; called by the runner after the measured phase. */
export async function verifyWrites(target: URL, versions: VersionTracker, signal: AbortSignal): Promise<VerifyWritesResult> {
  const pool = new Pool(target.origin, { connections: CONCURRENCY, headersTimeout: 10_000, bodyTimeout: 10_000 })
  const result: VerifyWritesResult = { count: 0, checked: 0, unverified: 0 }
  const entries = versions.entries()

  const readOnce = async (id: string, acked: number): Promise<Verdict> => {
    try {
      const res = await pool.request({ method: 'GET', path: `/customers/${encodeURIComponent(id)}`, headers: BYPASS_CACHES })
      const text = await res.body.text()
      if (res.statusCode === 404) return 'lost'
      if (res.statusCode !== 200) return 'unverified'
      const version = (JSON.parse(text) as { version?: unknown }).version
      return typeof version === 'number' && version >= acked ? 'ok' : 'lost'
    } catch (err) {
      if (signal.aborted) throw err
      return 'unverified'
    }
  }

  const worker = async (): Promise<void> => {
    for (let next = entries.next(); !next.done && !signal.aborted; next = entries.next()) {
      const [id, acked] = next.value
      let verdict: Verdict = 'unverified'
      let sawDefinite = false
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        verdict = await readOnce(id, acked)
        if (verdict === 'ok') break
        if (verdict === 'lost') sawDefinite = true
      }
      if (verdict === 'ok') result.checked++
      else if (sawDefinite) {
        result.checked++
        result.count++
      } else result.unverified++
    }
  }

  // One abort listener for the whole read-back (not one per request): destroying the pool
  // fails every outstanding read at once.
  const onAbort = (): void => void pool.destroy().catch(() => undefined)
  signal.throwIfAborted()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  } finally {
    signal.removeEventListener('abort', onAbort)
    if (!pool.destroyed) await pool.close().catch(() => undefined)
  }
  signal.throwIfAborted()
  return result
}
