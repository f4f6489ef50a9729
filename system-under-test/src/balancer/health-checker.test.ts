import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Backend } from './backend.js'
import { HealthChecker } from './health-checker.js'

// When the active health checks act, on a fake clock: the interval timer and Date are fake, the
// checks themselves are real HTTP to a real (or closed) port, so the promise "a dead backend is
// out within one interval plus one timeout" is checked without depending on this machine's speed.

const INTERVAL_MS = 300
// The check's own timeout runs on the real clock: generous, so a passing check on a loaded
// machine never times out (a refused connection fails at once whatever the timeout).
const TIMEOUT_MS = 10_000

let checker: HealthChecker | undefined
const backends: Backend[] = []
const servers: Server[] = []

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
})

afterEach(async () => {
  vi.useRealTimers()
  await checker?.stop()
  checker = undefined
  await Promise.all(backends.splice(0).map((b) => b.pool.close()))
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
})

/** A port nothing listens on any more: connecting to it is refused, as to a crashed process. */
async function deadUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

/** A backend whose GET /health answers `status()`. */
async function liveUrl(status: () => number): Promise<string> {
  const server = createServer((_req, res) => res.writeHead(status()).end())
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function backendAt(url: string): Backend {
  const b = new Backend(url, 1, 1)
  backends.push(b)
  return b
}

/** Fires the next interval of checks and waits (in real time) until every check of it is recorded. */
async function nextInterval(watch: () => boolean): Promise<void> {
  vi.advanceTimersByTime(INTERVAL_MS)
  for (let i = 0; i < 3000 && !watch(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
}

describe('HealthChecker', () => {
  it('takes a crashed backend out at the first check after the crash: one interval, not one timeout later', async () => {
    const dead = backendAt(await deadUrl())
    checker = new HealthChecker([dead], { intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS, rise: 2, fall: 1 })
    const crashedAt = Date.now()
    checker.start()
    await nextInterval(() => !dead.healthy)
    expect(dead.healthy).toBe(false)
    // A refused connection fails the check at once: out at the first interval, on the fake clock.
    expect(dead.healthChangedAt! - crashedAt).toBe(INTERVAL_MS)
  })

  it('needs `fall` failed checks in a row to take a backend out, and `rise` passing ones to bring it back', async () => {
    let status = 503
    const backend = backendAt(await liveUrl(() => status))
    let checks = 0
    checker = new HealthChecker([backend], { intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS, rise: 3, fall: 2 })
    const started = Date.now()
    checker.start()
    // Wait for each check's result through the streak counter (it moves with every failed check).
    await nextInterval(() => backend.checkStreak === 1)
    checks++
    expect(backend.healthy).toBe(true) // one failure is not enough with fall 2
    await nextInterval(() => !backend.healthy)
    checks++
    expect(backend.healthy).toBe(false)
    expect(backend.healthChangedAt! - started).toBe(checks * INTERVAL_MS)

    status = 200
    for (let passes = 1; passes <= 2; passes++) {
      await nextInterval(() => backend.checkStreak === passes)
      expect(backend.healthy, `after ${passes} passing checks`).toBe(false)
    }
    await nextInterval(() => backend.healthy)
    checks += 3
    expect(backend.healthy).toBe(true)
    expect(backend.healthChangedAt! - started).toBe(checks * INTERVAL_MS)
  })
})
