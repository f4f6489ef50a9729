import { setTimeout as sleep } from 'node:timers/promises'

/** Waits `ms` between two polls of the API server; when `signal` aborts, rejects with its reason (as the rest of the harness expects). */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal })
  } catch (error) {
    signal?.throwIfAborted()
    throw error
  }
}
