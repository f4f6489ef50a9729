import { describe, expect, it } from 'vitest'
import { makeRunResult } from '../../test/fixtures/suite-fixtures.js'
import { findColdRuns } from './cold-runs.js'

describe('findColdRuns', () => {
  it('reports a cold first repetition and a run that began warming, and stays quiet on warm ones', () => {
    const warm = [1, 2, 3].map((repetition) => makeRunResult({ cell: { cache: 'lru' }, repetition, medianMs: 10, durationS: 20, seed: repetition }))
    expect(findColdRuns([{ cellLabel: 'cache=lru', runs: warm }])).toEqual([])
    const cold = makeRunResult({ cell: { cache: 'lru' }, repetition: 1, medianMs: 30, durationS: 20, seed: 9 })
    cold.startedAt = '2025-12-31T23:59:00.000Z'
    const found = findColdRuns([{ cellLabel: 'cache=lru', runs: [cold, ...warm.slice(1)] }])
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ runId: 'cache=lru #1', kind: 'first-repetition', metric: 'p95' })
    expect(found[0]!.text).toMatch(/cache=lru #1 looks cold: p95 latency \d+\.\d ms against \d+\.\d+ ms in the other repetitions of cache=lru/)
    const starting = makeRunResult({ cell: { cache: 'lru' }, repetition: 1, medianMs: 10, durationS: 20, seed: 4 })
    starting.timeSeries = starting.timeSeries.map((p) => (p.elapsedS < 4 ? { ...p, p95: p.p95 * 4 } : p))
    const transient = findColdRuns([{ cellLabel: 'cache=lru', runs: [starting] }])
    expect(transient).toEqual([expect.objectContaining({ kind: 'start-of-run', runId: 'cache=lru #1' })])
    expect(transient[0]!.text).toMatch(/its first [3-9] s were still warming up/)
  })
})
