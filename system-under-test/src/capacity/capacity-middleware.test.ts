import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express from 'express'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { capacityMiddleware } from './capacity-middleware.js'
import type { CapacityModel } from './capacity-model.js'
import { createCapacityModel, DEFAULT_CAPACITY } from './create-capacity-model.js'

/** A route's work that the test finishes when it wants. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((r) => (open = r))
  return { wait, open }
}

/** Waits for a state the test's requests lead to; generous, because a loaded machine is slow, never wrong. */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 30_000, interval: 10 })

let server: Server | undefined
const gates: { open: () => void }[] = []

afterEach(async () => {
  for (const g of gates.splice(0)) g.open()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server?.closeAllConnections()
  server = undefined
})

async function start(model: CapacityModel, onReject?: () => void): Promise<{ url: string; slow: ReturnType<typeof gate> }> {
  const slow = gate()
  gates.push(slow)
  const app = express()
  app.use(capacityMiddleware(model, onReject))
  app.get('/slow', async (_req, res) => {
    await slow.wait
    res.json({ ok: true })
  })
  app.get('/fast', (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/boom', () => {
    throw new Error('handler failed')
  })
  server = app.listen(0, '127.0.0.1')
  await new Promise<void>((r) => server!.once('listening', () => r()))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, slow }
}

const oneSlot = (queueLimit: number): CapacityModel =>
  createCapacityModel({ ...DEFAULT_CAPACITY, serviceTime: { kind: 'constant', ms: 0 }, slots: 1, queueLimit })

describe('capacityMiddleware', () => {
  it('answers 503 with Retry-After and the common error body when the queue is full', async () => {
    const model = oneSlot(0)
    const onReject = vi.fn()
    const { url, slow } = await start(model, onReject)
    const busy = fetch(`${url}/slow`)
    await eventually(() => expect(model.stats().inService).toBe(1))

    const refused = await fetch(`${url}/fast`)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    const body = (await refused.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('overloaded')
    expect(body.error.message).toMatch(/capacity/)
    expect(onReject).toHaveBeenCalledTimes(1)
    expect(model.stats().rejected).toBe(1)

    slow.open()
    expect((await busy).status).toBe(200)
    await eventually(() => expect(model.stats()).toMatchObject({ inService: 0, served: 1 }))
    expect((await fetch(`${url}/fast`)).status).toBe(200)
  })

  it('releases the slot when a client aborts while its handler is still working', async () => {
    const model = oneSlot(0)
    const { url } = await start(model)
    const client = new AbortController()
    const busy = fetch(`${url}/slow`, { signal: client.signal }).catch((e: unknown) => e)
    await eventually(() => expect(model.stats().inService).toBe(1))
    client.abort()
    await busy
    // The handler never finishes (its gate stays shut), yet the slot comes back.
    await eventually(() => expect(model.stats().inService).toBe(0))
    expect((await fetch(`${url}/fast`)).status).toBe(200)
  })

  it('frees the queue place of a client that aborts while waiting', async () => {
    const model = oneSlot(5)
    const { url, slow } = await start(model)
    const busy = fetch(`${url}/slow`)
    await eventually(() => expect(model.stats().inService).toBe(1))
    const client = new AbortController()
    const waiting = fetch(`${url}/fast`, { signal: client.signal }).catch((e: unknown) => e)
    await eventually(() => expect(model.stats().queued).toBe(1))
    client.abort()
    await waiting
    await eventually(() => expect(model.stats()).toMatchObject({ queued: 0, abandoned: 1 }))
    slow.open()
    expect((await busy).status).toBe(200)
    expect((await fetch(`${url}/fast`)).status).toBe(200)
    await eventually(() => expect(model.stats()).toMatchObject({ inService: 0, queued: 0 }))
  })

  it('never leaks a slot over many requests, including failing handlers', async () => {
    const model = createCapacityModel({ ...DEFAULT_CAPACITY, serviceTime: { kind: 'constant', ms: 1 }, slots: 2, queueLimit: 100 })
    const { url } = await start(model)
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(`${url}/${i % 4 === 0 ? 'boom' : 'fast'}`).then((r) => r.status)))
    expect(statuses.filter((s) => s === 200)).toHaveLength(30)
    expect(statuses.filter((s) => s === 500)).toHaveLength(10)
    await eventually(() => expect(model.stats()).toMatchObject({ inService: 0, queued: 0, served: 40 }))
  })
})
