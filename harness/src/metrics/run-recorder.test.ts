import { describe, expect, it, vi } from 'vitest'
import { decodeFromCompressedBase64 } from 'hdr-histogram-js'
import { RunRecorder } from './run-recorder.js'
import type { Sample } from './sample.js'

const START = 1_700_000_000_000

describe('RunRecorder', () => {
  it('summarizes latency, failures (k6 semantics), drops, stale reads, per op and per second', () => {
    const rec = new RunRecorder(START)
    const samples: Sample[] = []
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < 100; i++) {
        samples.push({
          epochMs: START + s * 1000 + i * 10,
          op: i % 2 ? 'get_customer' : 'search_customers',
          status: 200,
          latencyMs: 10 + s * 10,
          serviceLatencyMs: 5,
        })
      }
    }
    samples.push({ epochMs: START + 500, op: 'get_customer', status: 503, latencyMs: 1, serviceLatencyMs: 1 })
    samples.push({ epochMs: START + 600, op: 'get_customer', status: 0, latencyMs: 1000, serviceLatencyMs: 1000, error: 'timeout' })
    samples.push({ epochMs: START + 700, op: 'get_customer', status: 0, latencyMs: 0, serviceLatencyMs: 0, dropped: true })
    samples.push({ epochMs: START + 800, op: 'get_customer', status: 200, latencyMs: 5, serviceLatencyMs: 5, staleRead: true })
    samples.push({ epochMs: START + 900, op: 'get_customer', status: 200, latencyMs: 5, serviceLatencyMs: 5, staleRead: false })
    rec.add(samples)
    const r = rec.finish(3)
    expect(r.metrics.http_reqs.count).toBe(304)
    expect(r.metrics.http_reqs.rate).toBeCloseTo(304 / 3)
    expect(r.metrics.http_req_failed).toEqual({ rate: 2 / 304, fails: 2, passes: 302 })
    expect(r.metrics.availability.rate).toBeCloseTo(1 - 2 / 304)
    expect(r.metrics.status_counts).toEqual({ '200': 302, '503': 1, '0': 1 })
    expect(r.metrics.dropped_iterations.count).toBe(1)
    expect(r.metrics.stale_reads).toEqual({ count: 1, checked: 2 })
    expect(r.metrics.http_req_duration.p50).toBeCloseTo(20, 0)
    expect(r.metrics.http_req_duration.max).toBeCloseTo(1000, -1)
    expect(r.metrics.http_req_duration_uncorrected.p50).toBeCloseTo(5, 1)
    expect(r.perOperation.search_customers?.http_reqs.count).toBe(150)
    expect(r.perOperation.get_customer?.http_req_failed.fails).toBe(2)
    expect(r.timeSeries.map((p) => p.reqs)).toEqual([104, 100, 100])
    r.timeSeries.forEach((p, i) => expect(p.p50).toBeCloseTo(10 * (i + 1), 1))
    expect(r.timeSeries[0]).toMatchObject({ errors: 2, dropped: 1 })
    expect(decodeFromCompressedBase64(r.histogram).totalCount).toBe(304)
    const ps = r.percentiles.map(([p]) => p)
    expect(ps).toEqual([...ps].sort((a, b) => a - b))
    expect(ps).toEqual(expect.arrayContaining([50, 75, 90, 95, 99, 99.9, 99.99]))
    expect(ps.length).toBeGreaterThan(20)
  })

  it('summarizes seconds whose late window passed and still counts samples that arrive later for them', () => {
    const rec = new RunRecorder(Date.now() - 100_000, { lateWindowS: 2 })
    for (let s = 0; s < 100; s++) rec.add([{ epochMs: Date.now() - 100_000 + s * 1000, op: 'get_customer', status: 200, latencyMs: 1, serviceLatencyMs: 1 }])
    // A very late completion for second 3 (already summarized) still counts.
    rec.add([{ epochMs: Date.now() - 97_000, op: 'get_customer', status: 500, latencyMs: 2, serviceLatencyMs: 2 }])
    const r = rec.finish(100)
    expect(r.timeSeries).toHaveLength(100)
    expect(r.timeSeries[3]).toMatchObject({ reqs: 2, errors: 1 })
    expect(r.timeSeries[3]!.p50).toBeCloseTo(1, 1)
    expect(r.timeSeries.filter((p) => p.reqs === 1)).toHaveLength(99)
  })

  it('adds offered rate and cache hit rate to the series', () => {
    const rec = new RunRecorder(START)
    rec.add([{ epochMs: START, op: 'get_customer', status: 200, latencyMs: 1, serviceLatencyMs: 1 }])
    rec.noteOfferedRate(1, 100) // the native engine's tick at the end of second 0
    rec.noteOfferedRate(2, 200)
    const r = rec.finish(2, [0.5, 0.75])
    // closed model: latency == service latency, so both summaries agree
    expect(r.metrics.http_req_duration_uncorrected).toEqual(r.metrics.http_req_duration)
    expect(r.metrics.http_req_duration_uncorrected.count).toBe(1)
    expect(r.timeSeries).toMatchObject([
      { elapsedS: 0, offeredRate: 100, cacheHitRate: 0.5 },
      { elapsedS: 1, offeredRate: 200, cacheHitRate: 0.75 },
    ])
  })

  it('folds a trailing partial second (clock skew between engine and recorder) into the last whole second', () => {
    const rec = new RunRecorder(START)
    rec.add([
      { epochMs: START + 1500, op: 'get_customer', status: 200, latencyMs: 1, serviceLatencyMs: 1 },
      { epochMs: START + 2004, op: 'get_customer', status: 500, latencyMs: 1, serviceLatencyMs: 1 },
    ])
    const r = rec.finish(2.003)
    expect(r.timeSeries).toHaveLength(2)
    expect(r.timeSeries[1]).toMatchObject({ reqs: 2, errors: 1 })
    expect(r.metrics.http_reqs.count).toBe(2)
  })

  it('live(): completions of the last wall-clock second, its p95, errors and drops so far', () => {
    vi.useFakeTimers()
    try {
      vi.setSystemTime(START)
      const rec = new RunRecorder(START)
      vi.setSystemTime(START + 1990)
      const batch = Array.from({ length: 50 }, (_, i) => ({
        epochMs: START + 1000 + 19 * i,
        op: 'get_customer' as const,
        status: i < 3 ? 500 : 200,
        latencyMs: i < 45 ? 10 : 100,
        serviceLatencyMs: 10,
      }))
      rec.add([...batch, { epochMs: START + 1900, op: 'get_customer', status: 0, latencyMs: 0, serviceLatencyMs: 0, dropped: true }])
      vi.setSystemTime(START + 2050)
      const live = rec.live()
      expect(live.elapsedS).toBeCloseTo(2.05)
      expect(live.rps).toBe(50)
      expect(live.p95).toBeCloseTo(100, 0)
      expect(live.errors).toBe(3)
      expect(live.requests).toBe(50)
      expect(live.dropped).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })
})
