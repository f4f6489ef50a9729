import { afterEach, describe, expect, it } from 'vitest'
import { OpenEngine } from '../src/engines/open-engine.js'
import { RunRecorder } from '../src/metrics/run-recorder.js'
import { VersionTracker } from '../src/workload/version-tracker.js'
import { seedDataset } from '../src/workload/dataset.js'
import type { Workload } from '../src/workload/workload.js'
import { StubCrmServer } from './support/stub-crm-server.js'

const workload = (load: Workload['load'], mix: Workload['mix'] = { get_customer: 8, search_customers: 1, update_customer: 1 }): Workload => ({
  mix,
  keys: { kind: 'zipf', s: 1 },
  datasetSize: 200,
  seed: 11,
  load,
  requestTimeoutMs: 5000,
})

let stub: StubCrmServer | undefined
afterEach(async () => {
  await stub?.close()
  stub = undefined
})

async function runOpen(w: Workload, engine = new OpenEngine(), signal = new AbortController().signal) {
  const target = await stub!.start()
  const dataset = await seedDataset(target, w, signal)
  const versions = new VersionTracker()
  const start = Date.now()
  const recorder = new RunRecorder(start)
  const ticks: number[] = []
  const summary = await engine.run(w, target, { sink: recorder, signal, dataset, versions, onTick: (t) => ticks.push(t.offeredRate ?? -1) })
  return { summary, result: recorder.finish(summary.durationS), ticks, versions, dataset }
}

describe('open engine', () => {
  it('sends the planned number of requests and measures a fixed 20 ms server at ~20 ms p50', async () => {
    stub = new StubCrmServer({ delayMs: 20 })
    const { summary, result, ticks } = await runOpen(workload({ model: 'open', rate: 200, durationS: 2, maxInFlight: 100 }))
    expect(summary.sent).toBeGreaterThanOrEqual(380)
    expect(summary.sent).toBeLessThanOrEqual(420)
    expect(summary.dropped).toBe(0)
    expect(result.metrics.http_reqs.count).toBe(summary.sent)
    expect(result.metrics.http_req_failed.fails).toBe(0)
    expect(result.metrics.http_req_duration.p50).toBeGreaterThanOrEqual(19)
    expect(result.metrics.http_req_duration.p50).toBeLessThan(40)
    expect(ticks).toEqual([200, 200]) // one tick per second with the planned rate, the last one too
    expect(stub.stats.routes.get('PATCH /customers/:id')).toBeGreaterThan(10)
  })

  it('shows a 1 s server stall in the corrected p99, not in the uncorrected one, and drops arrivals over the cap', async () => {
    stub = new StubCrmServer({ delayMs: 2 })
    const timer = setTimeout(() => stub?.stall(1000), 1000)
    try {
      // 4 sockets like a small client pool; up to 120 requests may wait for one.
      const { summary, result } = await runOpen(workload({ model: 'open', rate: 300, durationS: 3, maxInFlight: 120 }), new OpenEngine({ connections: 4 }))
      const m = result.metrics
      expect(m.http_req_duration.p99).toBeGreaterThanOrEqual(800)
      expect(m.http_req_duration_uncorrected.p99).toBeLessThan(m.http_req_duration.p99 / 4)
      // 300 arrivals during the stall but only 120 may be in flight: the rest are dropped, not delayed.
      expect(summary.dropped).toBeGreaterThan(100)
      expect(m.dropped_iterations.count).toBe(summary.dropped)
      expect(result.timeSeries.some((p) => p.dropped > 0)).toBe(true)
    } finally {
      clearTimeout(timer)
    }
  })

  it('stops quickly when aborted', async () => {
    stub = new StubCrmServer({ delayMs: 5 })
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 500)
    const began = Date.now()
    const { summary } = await runOpen(workload({ model: 'open', rate: 100, durationS: 30, maxInFlight: 50 }), new OpenEngine(), ac.signal)
    expect(Date.now() - began).toBeLessThan(5000)
    expect(summary.durationS).toBeLessThan(3)
    expect(summary.notes.join(' ')).toMatch(/aborted/)
  })
})
