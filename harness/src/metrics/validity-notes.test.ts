import { describe, expect, it } from 'vitest'
import { RunRecorder } from './run-recorder.js'
import type { EngineSummary } from './sample.js'
import { validityNotes } from './validity-notes.js'

const summary = (over: Partial<EngineSummary>): EngineSummary => ({ engine: 'open', durationS: 60, sent: 100, dropped: 0, maxInFlight: 5, generatorCpu: 0.2, eventLoopLagP99Ms: 1, notes: [], ...over })

describe('validityNotes', () => {
  it('says nothing about a healthy open-model run', () => {
    const rec = new RunRecorder(0)
    rec.add([{ t: 0, op: 'get_customer', status: 200, latencyMs: 5, serviceLatencyMs: 5 }])
    expect(validityNotes(summary({}), rec.finish(60).metrics)).toEqual([])
  })

  it('flags a saturated generator, lag, drops, errors, a stall and stale reads', () => {
    const rec = new RunRecorder(0)
    const samples = Array.from({ length: 100 }, (_, i) => ({ t: i, op: 'get_customer' as const, status: i < 5 ? 503 : 200, latencyMs: i > 95 ? 1000 : 5, serviceLatencyMs: 5, staleRead: i === 1 }))
    rec.add([...samples, { t: 0, op: 'get_customer', status: 0, latencyMs: 0, serviceLatencyMs: 0, dropped: true }])
    const codes = validityNotes(summary({ generatorCpu: 0.97, eventLoopLagP99Ms: 120 }), rec.finish(60).metrics).map((n) => n.code)
    expect(codes).toEqual(['generator-saturated', 'event-loop-lag', 'dropped-iterations', 'errors', 'coordinated-omission', 'stale-reads'])
  })
})
