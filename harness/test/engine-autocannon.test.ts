import { afterEach, describe, expect, it } from 'vitest'
import { AutocannonEngine } from '../src/engines/autocannon-engine.js'
import { createEngine, ENGINE_NAMES } from '../src/engines/engine-registry.js'
import { RunRecorder } from '../src/metrics/run-recorder.js'
import { VersionTracker } from '../src/workload/version-tracker.js'
import { seedDataset } from '../src/workload/dataset.js'
import { verifyWrites } from '../src/workload/verify-writes.js'
import type { Workload } from '../src/workload/workload.js'
import { StubCrmServer } from './support/stub-crm-server.js'

const workload = (over: Partial<Workload> = {}): Workload => ({
  mix: { get_customer: 6, search_customers: 2, customer_360: 1, create_customer: 1 },
  keys: { kind: 'uniform' },
  datasetSize: 500,
  seed: 5,
  load: { model: 'closed', connections: 8, durationS: 2 },
  requestTimeoutMs: 5000,
  ...over,
})

let stub: StubCrmServer | undefined
afterEach(async () => {
  await stub?.close()
  stub = undefined
})

async function runClosed(w: Workload, signal = new AbortController().signal) {
  const target = await stub!.start()
  const dataset = await seedDataset(target, w, signal)
  const versions = new VersionTracker()
  const recorder = new RunRecorder(Date.now())
  const summary = await new AutocannonEngine().run(w, target, { sink: recorder, signal, dataset, versions })
  return { target, summary, result: recorder.finish(summary.durationS), versions, dataset }
}

describe('autocannon engine', () => {
  it('sends the operation mix by weight and labels every response with the right operation', async () => {
    stub = new StubCrmServer()
    const { result, summary, dataset } = await runClosed(workload({ load: { model: 'closed', connections: 8, durationS: 2, pipelining: 2 } }))
    const per = result.perOperation
    const total = result.metrics.http_reqs.count
    expect(total).toBeGreaterThan(500)
    expect(result.metrics.http_req_failed.fails).toBe(0)
    expect(per.get_customer!.http_reqs.count / total).toBeCloseTo(0.6, 1)
    expect(per.search_customers!.http_reqs.count / total).toBeCloseTo(0.2, 1)
    expect(per.customer_360!.http_reqs.count / total).toBeCloseTo(0.1, 1)
    expect(per.create_customer!.http_reqs.count / total).toBeCloseTo(0.1, 1)
    // What the server saw per route matches what the engine recorded per operation (requests
    // still outstanding when autocannon stopped are not recorded: at most connections x pipelining).
    const routes = stub!.stats.routes
    expect(routes.get('GET /customers/:id')! - per.get_customer!.http_reqs.count).toBeGreaterThanOrEqual(0)
    expect(routes.get('GET /customers/:id')! - per.get_customer!.http_reqs.count).toBeLessThanOrEqual(16)
    expect(routes.get('POST /customers')! - per.create_customer!.http_reqs.count).toBeLessThanOrEqual(16)
    // Created customers joined the dataset.
    expect(dataset.customerIds.length).toBe(500 + per.create_customer!.http_reqs.count)
    expect(summary.sent).toBeGreaterThanOrEqual(total)
  })

  it('keeps labelling responses right when the server closes keep-alive connections (nginx keepalive_requests)', async () => {
    // search is made 30 ms slower than everything else: a response filed under the wrong
    // operation would show in the per-operation medians.
    stub = new StubCrmServer({ delayByRoute: { 'GET /customers': 30 }, maxRequestsPerConnection: 25 })
    const { result, summary } = await runClosed(workload({ load: { model: 'closed', connections: 4, durationS: 2 } }))
    const per = result.perOperation
    expect(result.metrics.http_req_failed.fails).toBe(0)
    expect(per.search_customers!.http_req_duration.p50).toBeGreaterThanOrEqual(29)
    expect(per.get_customer!.http_req_duration.p50).toBeLessThan(15)
    expect(per.get_customer!.http_req_duration.p90).toBeLessThan(29)
    expect(summary.notes.join(' ')).toMatch(/closing \(keep-alive limit\)/)
  })

  it('follows the key popularity (hotspot: 90% of reads on 10% of the keys)', async () => {
    stub = new StubCrmServer()
    await runClosed(workload({ mix: { get_customer: 1 }, keys: { kind: 'hotspot', hotKeyShare: 0.1, hotTrafficShare: 0.9 } }))
    const reads = [...stub!.stats.readsById.values()].sort((a, b) => b - a)
    const all = reads.reduce((a, b) => a + b, 0)
    expect(all).toBeGreaterThan(500)
    const top = reads.slice(0, 50).reduce((a, b) => a + b, 0)
    expect(top / all).toBeGreaterThan(0.85)
    expect(top / all).toBeLessThan(0.95)
  })

  it('counts stale reads when the server answers with a version older than one it acknowledged', async () => {
    const mix = { get_customer: 3, customer_360: 1, update_customer: 2 }
    const small = { datasetSize: 20, mix, load: { model: 'closed' as const, connections: 4, durationS: 1.5 } }
    stub = new StubCrmServer()
    const fresh = await runClosed(workload(small))
    expect(fresh.result.metrics.stale_reads.checked).toBeGreaterThan(50)
    expect(fresh.result.metrics.stale_reads.count).toBe(0)
    await stub.close()
    stub = new StubCrmServer()
    stub.serveStale = true
    const stale = await runClosed(workload(small))
    expect(stale.result.metrics.stale_reads.count).toBeGreaterThan(10)
  })

  it('verifyWrites finds an acknowledged update the server lost', async () => {
    stub = new StubCrmServer()
    const { target, versions } = await runClosed(workload({ mix: { update_customer: 1, create_customer: 1 }, datasetSize: 50, load: { model: 'closed', connections: 4, durationS: 1 } }))
    const signal = new AbortController().signal
    const clean = await verifyWrites(target, versions, signal)
    expect(clean).toMatchObject({ count: 0, checked: versions.size, unverified: 0 })
    const [victim] = versions.entries().next().value!
    stub.rollback(victim)
    const lost = await verifyWrites(target, versions, signal)
    expect(lost.count).toBe(1)
  })

  it('records a request slower than requestTimeoutMs as failed (status 0, timeout) and keeps going', async () => {
    stub = new StubCrmServer({ delayMs: 1 })
    const timer = setTimeout(() => stub?.stall(2000), 500)
    try {
      const { result } = await runClosed(workload({ requestTimeoutMs: 1000, load: { model: 'closed', connections: 4, durationS: 3.5 } }))
      expect(result.metrics.status_counts['0']).toBeGreaterThanOrEqual(4)
      expect(result.metrics.http_req_failed.fails).toBe(result.metrics.status_counts['0'])
      // Requests after the stall succeed again.
      expect(result.timeSeries.at(-1)!.reqs - result.timeSeries.at(-1)!.errors).toBeGreaterThan(50)
    } finally {
      clearTimeout(timer)
    }
  })

  it('stops within about a second when aborted, as does the open engine', async () => {
    expect(ENGINE_NAMES).toEqual(['autocannon', 'open'])
    stub = new StubCrmServer({ delayMs: 2 })
    const target = await stub.start()
    const signal0 = new AbortController().signal
    for (const name of ENGINE_NAMES) {
      const w = workload({
        load: name === 'open' ? { model: 'open', rate: 200, durationS: 30, maxInFlight: 50 } : { model: 'closed', connections: 4, durationS: 30 },
      })
      const dataset = await seedDataset(target, w, signal0)
      const ac = new AbortController()
      setTimeout(() => ac.abort(), 300)
      const began = Date.now()
      const summary = await createEngine(name).run(w, target, { sink: new RunRecorder(began), signal: ac.signal, dataset, versions: new VersionTracker() })
      expect(Date.now() - began, name).toBeLessThan(3000)
      expect(summary.sent, name).toBeGreaterThan(0)
      expect(summary.notes.join(' '), name).toMatch(/aborted/)
    }
  })
})
