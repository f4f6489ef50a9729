import { afterEach, describe, expect, it } from 'vitest'
import { AutocannonEngine } from '../src/engines/autocannon-engine.js'
import { createEngine, ENGINE_NAMES } from '../src/engines/engine-registry.js'
import { RunRecorder } from '../src/metrics/run-recorder.js'
import { VersionTracker } from '../src/workload/version-tracker.js'
import { seedDataset } from '../src/workload/dataset.js'
import { verifyWrites } from '../src/workload/verify-writes.js'
import type { Workload } from '../src/workload/workload.js'
import type { MetricsDelta } from '../src/metrics/metrics-delta.js'
import type { MetricsSink, Sample } from '../src/metrics/sample.js'
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

/** Keeps every sample as well as recording it: tests that look at the order of events need them. */
class TeeSink implements MetricsSink {
  readonly samples: Sample[] = []
  constructor(private readonly recorder: RunRecorder) {}
  add(batch: readonly Sample[]): void {
    this.samples.push(...batch)
    this.recorder.add(batch)
  }
  merge(delta: MetricsDelta): void {
    this.recorder.merge(delta)
  }
}

async function runClosed(w: Workload, signal = new AbortController().signal) {
  const target = await stub!.start()
  const dataset = await seedDataset(target, w, signal)
  const versions = new VersionTracker()
  const recorder = new RunRecorder(Date.now())
  const sink = new TeeSink(recorder)
  const summary = await new AutocannonEngine().run(w, target, { sink, signal, dataset, versions })
  return { target, summary, result: recorder.finish(summary.durationS), versions, dataset, samples: sink.samples }
}

/**
 * |observed share - p| within five binomial standard deviations for n draws: the engine runs
 * for a duration, so n depends on the machine's speed, and the tolerance follows n instead of
 * assuming a fast machine. The draws are seeded, so this is not a chance of failure either.
 */
function expectShare(count: number, n: number, p: number, what: string): void {
  expect(n, what).toBeGreaterThan(0)
  expect(Math.abs(count / n - p), `${what}: ${count} of ${n}`).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / n) + 1 / n)
}

describe('autocannon engine', () => {
  it('sends the operation mix by weight and labels every response with the right operation', async () => {
    stub = new StubCrmServer()
    const { result, summary, dataset } = await runClosed(workload({ load: { model: 'closed', connections: 8, durationS: 2, pipelining: 2 } }))
    const per = result.perOperation
    const total = result.metrics.http_reqs.count
    expect(result.metrics.http_req_failed.fails).toBe(0)
    // What the server received follows the weights 6:2:1:1.
    const routes = stub!.stats.routes
    const received = {
      get_customer: routes.get('GET /customers/:id') ?? 0,
      search_customers: routes.get('GET /customers') ?? 0,
      customer_360: routes.get('GET /customers/:id/360') ?? 0,
      create_customer: routes.get('POST /customers') ?? 0,
    }
    const n = Object.values(received).reduce((a, b) => a + b, 0)
    expectShare(received.get_customer, n, 0.6, 'get_customer')
    expectShare(received.search_customers, n, 0.2, 'search_customers')
    expectShare(received.customer_360, n, 0.1, 'customer_360')
    expectShare(received.create_customer, n, 0.1, 'create_customer')
    // What the server saw per route matches what the engine recorded per operation (requests
    // still outstanding when autocannon stopped are not recorded: at most connections x pipelining).
    for (const [op, count] of Object.entries(received) as [keyof typeof received, number][]) {
      expect(count - per[op]!.http_reqs.count, op).toBeGreaterThanOrEqual(0)
      expect(count - per[op]!.http_reqs.count, op).toBeLessThanOrEqual(16)
    }
    // Created customers joined the dataset.
    expect(dataset.customerIds.length).toBe(500 + per.create_customer!.http_reqs.count)
    expect(summary.sent).toBeGreaterThanOrEqual(total)
  })

  it('keeps labelling responses right when the server closes keep-alive connections (nginx keepalive_requests)', async () => {
    // Every search is answered 500 and everything else 200: a response filed under the wrong
    // operation would show as a failure of another operation, or a success of search.
    stub = new StubCrmServer({ statusByRoute: { 'GET /customers': 500 }, maxRequestsPerConnection: 25 })
    const { result, summary } = await runClosed(workload({ load: { model: 'closed', connections: 4, durationS: 2 } }))
    const per = result.perOperation
    expect(per.search_customers!.http_reqs.count).toBeGreaterThan(0)
    expect(per.search_customers!.http_req_failed.rate).toBe(1)
    for (const op of ['get_customer', 'customer_360', 'create_customer'] as const) expect(per[op]!.http_req_failed.rate, op).toBe(0)
    expect(result.metrics.status_counts['500']).toBe(per.search_customers!.http_reqs.count)
    expect(summary.notes.join(' ')).toMatch(/closing \(keep-alive limit\)/)
  })

  it('follows the key popularity (hotspot: 90% of reads on 10% of the keys)', async () => {
    stub = new StubCrmServer()
    await runClosed(workload({ mix: { get_customer: 1 }, keys: { kind: 'hotspot', hotKeyShare: 0.1, hotTrafficShare: 0.9 } }))
    const reads = [...stub!.stats.readsById.values()].sort((a, b) => b - a)
    const all = reads.reduce((a, b) => a + b, 0)
    expect(all).toBeGreaterThanOrEqual(100)
    // The 50 most read of 500 keys: the hot tenth (once each hot key was read more than any cold one).
    expectShare(
      reads.slice(0, 50).reduce((a, b) => a + b, 0),
      all,
      0.9,
      'reads of the 50 most read keys',
    )
  })

  it('counts stale reads when the server answers with a version older than one it acknowledged', async () => {
    const mix = { get_customer: 3, customer_360: 1, update_customer: 2 }
    const small = { datasetSize: 20, mix, load: { model: 'closed' as const, connections: 4, durationS: 1.5 } }
    stub = new StubCrmServer()
    const fresh = await runClosed(workload(small))
    expect(fresh.result.metrics.stale_reads.checked).toBeGreaterThan(0)
    expect(fresh.result.metrics.stale_reads.count).toBe(0)
    await stub.close()
    stub = new StubCrmServer()
    stub.serveStale = true
    const stale = await runClosed(workload(small))
    // A stale server answers every read of an updated customer with its previous version.
    const { count, checked } = stale.result.metrics.stale_reads
    expect(count).toBeGreaterThan(0)
    expect(count / checked).toBeGreaterThan(0.5)
  })

  it('verifyWrites finds an acknowledged update the server lost', async () => {
    stub = new StubCrmServer()
    const { target, versions } = await runClosed(
      workload({ mix: { update_customer: 1, create_customer: 1 }, datasetSize: 50, load: { model: 'closed', connections: 4, durationS: 1 } }),
    )
    const signal = new AbortController().signal
    const clean = await verifyWrites(target, versions, signal)
    expect(clean).toMatchObject({ count: 0, checked: versions.size, unverified: 0 })
    const [victim] = versions.entries().next().value!
    stub.rollback(victim)
    const lost = await verifyWrites(target, versions, signal)
    expect(lost.count).toBe(1)
  })

  it('records a request slower than requestTimeoutMs as failed (status 0, timeout) and keeps going', async () => {
    // The server freezes for 2 s once it received 20 requests: every connection's request in
    // flight outlives the 1 s timeout. The stall follows the load, not the clock.
    stub = new StubCrmServer({ delayMs: 1 })
    stub.stallAfter(20, 2000)
    const { result, samples } = await runClosed(workload({ requestTimeoutMs: 1000, load: { model: 'closed', connections: 4, durationS: 5 } }))
    expect(result.metrics.status_counts['0']).toBeGreaterThanOrEqual(4)
    expect(result.metrics.http_req_failed.fails).toBe(result.metrics.status_counts['0'])
    const timeouts = samples.filter((s) => s.status === 0)
    expect(new Set(timeouts.map((s) => s.error))).toEqual(new Set(['timeout']))
    // Requests sent after the first timeout succeed again.
    const firstTimeout = Math.min(...timeouts.map((s) => s.epochMs))
    expect(samples.filter((s) => s.status === 200 && s.epochMs > firstTimeout).length).toBeGreaterThan(0)
  })

  it('stops long before its planned 30 s when aborted, as does the native engine', async () => {
    expect(ENGINE_NAMES).toEqual(['autocannon', 'native'])
    stub = new StubCrmServer({ delayMs: 2 })
    const target = await stub.start()
    const signal0 = new AbortController().signal
    for (const name of ENGINE_NAMES) {
      const w = workload({
        load: name === 'native' ? { model: 'open', rate: 200, durationS: 30, maxInFlight: 50 } : { model: 'closed', connections: 4, durationS: 30 },
      })
      const dataset = await seedDataset(target, w, signal0)
      // Aborted once the load is under way (50 requests answered), however long that took.
      const ac = new AbortController()
      const seen = stub.stats.total
      const watch = setInterval(() => stub!.stats.total - seen >= 50 && ac.abort(), 5)
      const began = Date.now()
      try {
        const summary = await createEngine(name).run(w, target, { sink: new RunRecorder(began), signal: ac.signal, dataset, versions: new VersionTracker() })
        expect(ac.signal.aborted, name).toBe(true)
        expect(summary.durationS, name).toBeLessThan(15)
        expect(Date.now() - began, name).toBeLessThan(15_000)
        expect(summary.sent, name).toBeGreaterThan(0)
        expect(summary.notes.join(' '), name).toMatch(/aborted/)
      } finally {
        clearInterval(watch)
      }
    }
  })
})
