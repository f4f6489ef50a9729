import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ephemeralRange, loopbackPort } from './loopback-port.js'

describe('loopbackPort', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-port-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('picks below the ephemeral range, where outgoing connections never take a port', async () => {
    const [low] = ephemeralRange()
    for (let i = 0; i < 5; i++) {
      const port = await loopbackPort()
      expect(port).toBeGreaterThanOrEqual(10_000)
      expect(port).toBeLessThan(low)
    }
  })

  it('skips a port something listens on', async () => {
    const [low] = ephemeralRange()
    const busy = net.createServer()
    const taken = 10_000 + Math.floor(0.5 * (low - 10_000))
    await new Promise<void>((resolve, reject) => busy.once('error', reject).listen(taken, '127.0.0.1', resolve))
    try {
      const draws = [0.5, 0.25]
      const port = await loopbackPort(() => draws.shift() ?? 0.75)
      expect(port).not.toBe(taken)
      expect(port).toBe(10_000 + Math.floor(0.25 * (low - 10_000)))
    } finally {
      await new Promise((resolve) => busy.close(resolve))
    }
  })

  it('reads the range from the kernel, with a default elsewhere', () => {
    const file = path.join(dir, 'range')
    writeFileSync(file, '40000\t60999\n')
    expect(ephemeralRange(file)).toEqual([40_000, 60_999])
    expect(ephemeralRange(path.join(dir, 'missing'))).toEqual([32_768, 60_999])
  })
})
