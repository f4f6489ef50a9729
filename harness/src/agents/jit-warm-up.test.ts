import { describe, expect, it } from 'vitest'
import { warmUpEngine } from './jit-warm-up.js'

// The warm-up drives load at a server of its own: it must really run the engine, leave nothing
// behind (no server, no socket, no timer), run once per engine and process, and not run for an
// aborted phase.

/** Servers and sockets open in this process (the test runner's own pipes and timers left out). */
const openTcp = (): string[] => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'))

describe('warming an engine before its first phase', () => {
  it('drives the native engine at a loopback server of its own once, and leaves nothing open', async () => {
    const before = openTcp()
    // 4,000 req/s for a second; a warm-up that failed quietly would answer none.
    expect(await warmUpEngine('native', new AbortController().signal)).toBeGreaterThan(1000)
    // Closed handles leave the list in the event loop's close phase, after the current turn.
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(openTcp()).toEqual(before)
    expect(await warmUpEngine('native', new AbortController().signal)).toBe(0)
  })

  it('does not run for an aborted phase, and runs for the next one', async () => {
    const aborted = new AbortController()
    aborted.abort()
    expect(await warmUpEngine('autocannon', aborted.signal)).toBe(0)
    expect(await warmUpEngine('autocannon', new AbortController().signal)).toBeGreaterThan(100)
  })
})
