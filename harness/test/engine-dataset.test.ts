import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { seedDataset } from '../src/workload/dataset.js'
import type { Workload } from '../src/workload/workload.js'
import { StubCrmServer } from './support/stub-crm-server.js'

const w = (datasetSize: number, seed = 3): Workload => ({
  mix: { get_customer: 1 },
  keys: { kind: 'uniform' },
  datasetSize,
  seed,
  load: { model: 'closed', connections: 1, durationS: 1 },
  requestTimeoutMs: 1000,
})

const stubs: StubCrmServer[] = []
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()))
})
const stub = (): StubCrmServer => {
  const s = new StubCrmServer()
  stubs.push(s)
  return s
}

describe('seedDataset', () => {
  it('seeds 10k customers in bulk batches of <= 5000, oldest first, spread over the past 365 days', async () => {
    const s = stub()
    const url = await s.start()
    const ds = await seedDataset(url, w(10_000), new AbortController().signal)
    expect(ds.customerIds).toHaveLength(10_000)
    expect(new Set(ds.customerIds).size).toBe(10_000)
    expect(s.stats.routes.get('POST /admin/customers/bulk')).toBe(2)
    const created = ds.customerIds.map((id) => Date.parse(s.customers.get(id)!.createdAt))
    expect(created).toEqual([...created].sort((a, b) => a - b))
    const spanDays = (created.at(-1)! - created[0]!) / 86_400_000
    expect(spanDays).toBeGreaterThan(364)
    expect(spanDays).toBeLessThan(365)
    expect(Date.now() - created[0]!).toBeLessThan(366 * 86_400_000)
    const emails = new Set([...s.customers.values()].map((c) => c.email))
    expect(emails.size).toBe(10_000)
  })

  it('derives the same data from the same seed and different data from another seed', async () => {
    const [a, b, c] = [stub(), stub(), stub()]
    const signal = new AbortController().signal
    const names = async (s: StubCrmServer, seed: number): Promise<string[]> => {
      const ds = await seedDataset(await s.start(), w(50, seed), signal)
      return ds.customerIds.map((id) => `${s.customers.get(id)!.name}|${s.customers.get(id)!.email}|${s.customers.get(id)!.segment}`)
    }
    const na = await names(a, 7)
    expect(await names(b, 7)).toEqual(na)
    expect(await names(c, 8)).not.toEqual(na)
  })

  it('names the URL and the likely fix when the target has no bulk endpoint', async () => {
    const server = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found"}}'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const { port } = server.address() as AddressInfo
      await expect(seedDataset(new URL(`http://127.0.0.1:${port}`), w(10), new AbortController().signal)).rejects.toThrow(
        new RegExp(`http://127.0.0.1:${port}/admin/customers/bulk failed: HTTP 404.*/admin API`),
      )
    } finally {
      server.close()
    }
  })
})
