import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OPERATIONS } from '../workload/workload.js'
import { DeltaRecorder } from './delta-recorder.js'
import { metricsDeltaSchema, type MetricsDelta } from './metrics-delta.js'
import { RunRecorder } from './run-recorder.js'
import type { Sample } from './sample.js'

// Load agents record samples into deltas; the harness adds the deltas up. Whatever way the
// samples are split between agents and between reports, the merged run must be the run one
// recorder would have produced from all samples: same histogram (bit for bit), same counters,
// same per-second series.

const latency = fc.oneof(
  fc.double({ min: 0, max: 2, noNaN: true }),
  fc.double({ min: 0, max: 500, noNaN: true }),
  fc.double({ min: 500, max: 70_000, noNaN: true }), // beyond the histogram's 60 s: clamped alike
)

const sample = (start: number): fc.Arbitrary<Sample> =>
  fc
    .record({
      offsetMs: fc.integer({ min: 0, max: 5_999 }),
      op: fc.constantFrom(...OPERATIONS),
      status: fc.constantFrom(200, 200, 200, 201, 404, 409, 500, 503, 0),
      latencyMs: latency,
      queuedMs: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 50, noNaN: true })),
      dropped: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
      stale: fc.constantFrom(undefined, true, false),
    })
    .map((r): Sample => {
      if (r.dropped) return { epochMs: start + r.offsetMs, op: r.op, status: 0, latencyMs: 0, serviceLatencyMs: 0, dropped: true, error: 'dropped' }
      const serviceLatencyMs = Math.max(0, r.latencyMs - r.queuedMs)
      return {
        epochMs: start + r.offsetMs,
        op: r.op,
        status: r.status,
        latencyMs: r.latencyMs,
        serviceLatencyMs,
        staleRead: r.stale,
        ...(r.status === 0 ? { error: 'timeout' } : {}),
      }
    })

/** An agent's deltas travel as JSON lines and are validated on arrival, as in the agent protocol. */
const overTheWire = (d: MetricsDelta): MetricsDelta => metricsDeltaSchema.parse(JSON.parse(JSON.stringify(d)))

describe('merging agents’ deltas', () => {
  it('gives the run one recorder of every sample gives: histogram, counters, per-operation and per-second series', () => {
    const start = Date.now()
    fc.assert(
      fc.property(
        fc.array(sample(start), { minLength: 0, maxLength: 400 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 400 }),
        (samples, agents, cuts) => {
          const direct = new RunRecorder(start)
          direct.add(samples)
          const merged = new RunRecorder(start)
          const recorders = Array.from({ length: agents }, () => new DeltaRecorder(start))
          samples.forEach((s, i) => {
            const agent = recorders[cuts[i % cuts.length]! % agents]!
            agent.add([s])
            // Agents report at arbitrary moments between samples.
            if (cuts[(i * 7) % cuts.length]! % 5 === 0) {
              const d = agent.take()
              if (d) merged.merge(overTheWire(d))
            }
          })
          for (const r of recorders) {
            const d = r.take()
            if (d) merged.merge(overTheWire(d))
            expect(r.take()).toBeNull()
          }
          const a = direct.finish(6)
          const b = merged.finish(6)
          expect(b.histogram).toBe(a.histogram)
          expect(b.metrics).toEqual(a.metrics)
          expect(b.perOperation).toEqual(a.perOperation)
          expect(b.timeSeries).toEqual(a.timeSeries)
          expect(b.percentiles).toEqual(a.percentiles)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('adds dropped arrivals and errors of every agent, and lines up their seconds', () => {
    const start = Date.now()
    const merged = new RunRecorder(start)
    for (let agent = 0; agent < 3; agent++) {
      const rec = new DeltaRecorder(start)
      for (let second = 0; second < 4; second++) {
        const epochMs = start + second * 1000 + 10 * agent
        rec.add([
          { epochMs, op: 'get_customer', status: 200, latencyMs: 5 + second, serviceLatencyMs: 5 + second },
          { epochMs, op: 'get_customer', status: 500, latencyMs: 7, serviceLatencyMs: 7 },
          { epochMs, op: 'get_customer', status: 0, latencyMs: 0, serviceLatencyMs: 0, dropped: true, error: 'dropped' },
        ])
        if (second % 2 === 1) merged.merge(overTheWire(rec.take()!))
      }
    }
    const r = merged.finish(4)
    expect(r.metrics.http_reqs.count).toBe(3 * 4 * 2)
    expect(r.metrics.http_req_failed).toMatchObject({ fails: 12, passes: 12 })
    expect(r.metrics.dropped_iterations.count).toBe(12)
    expect(r.metrics.status_counts).toEqual({ '200': 12, '500': 12 })
    expect(r.timeSeries.map((p) => [p.elapsedS, p.reqs, p.errors, p.dropped])).toEqual([
      [0, 6, 3, 3],
      [1, 6, 3, 3],
      [2, 6, 3, 3],
      [3, 6, 3, 3],
    ])
    expect(r.timeSeries[3]!.max).toBeCloseTo(8, 1)
  })

  it('refuses a delta whose histogram is not an encoded histogram', () => {
    const bad = {
      dropped: 0,
      fails: 0,
      passes: 1,
      statusCounts: { '200': 1 },
      staleReads: { count: 0, checked: 0 },
      corrected: 'not base64 hdr',
      uncorrected: null,
      perOperation: {},
      seconds: [],
    }
    expect(() => new RunRecorder(Date.now()).merge(metricsDeltaSchema.parse(bad))).toThrow()
    expect(() => metricsDeltaSchema.parse({ ...bad, statusCounts: { ok: 1 } })).toThrow()
  })
})
