import { describe, expect, it } from 'vitest'
import { makeRunResult, makeSuiteResult, type RunSpec } from '../../test/fixtures/suite-fixtures.js'
import { analyzeSuite } from './analyze-suite.js'
import { CISCO, CISCO_FIT } from '../../test/fixtures/usl-published-data.js'

function reps(spec: RunSpec, n: number, seed: number): RunSpec[] {
  return Array.from({ length: n }, (_, i) => ({ ...spec, repetition: i + 1, seed: seed + i }))
}

/** Asserts that no number the schema promises became NaN/Infinity (JSON null) anywhere. */
function expectNoNonFinite(value: unknown, path = 'analysis'): void {
  if (typeof value === 'number') expect(Number.isFinite(value), path).toBe(true)
  else if (Array.isArray(value)) value.forEach((v, i) => expectNoNonFinite(v, `${path}[${i}]`))
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) expectNoNonFinite(v, `${path}.${k}`)
}

describe('analyzeSuite: comparisons', () => {
  const suite = makeSuiteResult({
    runs: [
      ...reps({ cell: { cache: 'none' }, medianMs: 10 }, 3, 1),
      ...reps({ cell: { cache: 'lru' }, medianMs: 6, cacheHitRate: 0.8 }, 3, 10),
      ...reps({ cell: { cache: 'lfu' }, medianMs: 6.1, cacheHitRate: 0.79 }, 3, 20),
    ],
  })
  const a = analyzeSuite(suite)

  it('summarises each cell with intervals over its repetitions', () => {
    expect(a.cells.map((c) => c.cellLabel)).toEqual(['cache=none', 'cache=lru', 'cache=lfu'])
    const p95 = a.cells[1]!.metrics.p95!
    expect(p95.n).toBe(3)
    expect(p95.method).toMatch(/^random effects over 3 runs \(6 batches of 5 s per run/)
    expect(p95.lo).toBeLessThan(p95.estimate)
    expect(p95.hi).toBeGreaterThan(p95.estimate)
    expect(a.cells[0]!.metrics.cache_hit_rate).toBeUndefined()
    expect(a.cells[1]!.metrics.cache_hit_rate!.estimate).toBeCloseTo(0.8, 6)
  })

  it('names a winner only when the difference is significant', () => {
    const lruVsNone = a.comparisons.find((c) => c.metric === 'p95' && c.a === 'cache=none' && c.b === 'cache=lru')!
    expect(lruVsNone.significant).toBe(true)
    expect(lruVsNone.better).toBe('cache=lru')
    expect(lruVsNone.text).toMatch(/^cache=lru beats cache=none on p95 latency by \d+% \(95% CI \d+%–\d+%\)$/)
    const lruVsLfu = a.comparisons.find((c) => c.metric === 'p95' && c.a === 'cache=lru' && c.b === 'cache=lfu')!
    expect(lruVsLfu.significant).toBe(false)
    expect(lruVsLfu.better).toBeNull()
    expect(lruVsLfu.text).toMatch(/^no significant difference in p95 latency between cache=lru and cache=lfu/)
    // lru and lfu both beat none but not each other: no single p95 winner.
    expect(a.winners.p95).toBeUndefined()
    const rps = a.comparisons.filter((c) => c.metric === 'rps')
    expect(rps.every((c) => !c.significant)).toBe(true)
  })

  it('reports hit rate per cache strategy and the latency gain per point of hit rate', () => {
    const lru = a.caches!.find((c) => c.cellLabel === 'cache=lru')!
    expect(lru.hitRate.estimate).toBeCloseTo(0.8, 6)
    // mean latency falls by ~(10-6)·e^(σ²/2) ≈ 4.5 ms over 80 points of hit rate: ≈ 0.057 ms per point
    expect(lru.latencyGainPerPointMs).toBeGreaterThan(0.04)
    expect(lru.latencyGainPerPointMs).toBeLessThan(0.075)
  })

  it('is deterministic and free of NaN', () => {
    expect(analyzeSuite(suite)).toEqual(a)
    expectNoNonFinite(a)
    // NaN and Infinity turn into null in results.json: a round trip must change nothing.
    expect(JSON.parse(JSON.stringify(a))).toEqual(a)
  })
})

describe('analyzeSuite: single runs', () => {
  it('gives a single run an interval of its own noise, but a comparison of single runs none', () => {
    const a = analyzeSuite(
      makeSuiteResult({
        runs: [
          { cell: { cache: 'none' }, seed: 1 },
          { cell: { cache: 'lru' }, medianMs: 5, seed: 2 },
        ],
      }),
    )
    expect(a.cells[0]!.metrics.p95!.method).toMatch(
      /^random effects over 1 run \(6 batches of 5 s per run.*within-run noise only.*too narrow by an unknown amount/,
    )
    expect(a.cells[0]!.metrics.p95!.lo).toBeLessThan(a.cells[0]!.metrics.p95!.hi)
    const p95 = a.comparisons.find((c) => c.metric === 'p95')!
    expect(p95).toMatchObject({ significant: false, outcome: 'cannot-tell', better: null })
    expect(p95.relDiff.noInterval).toBe('1 run each, no interval')
    expect(p95.text).toMatch(/^cannot tell whether cache=none and cache=lru differ in p95 latency: cache=lru vs cache=none −\d+% \(1 run each, no interval\)/)
    expect(a.notes.join('\n')).toMatch(/single repetition/)
    expect(a.winners.p95).toBeUndefined()
  })
})

describe('analyzeSuite: stress, scale-out and partitions', () => {
  it('finds the knee of a stress suite', () => {
    const runs = [200, 400, 600, 800, 1000].map((rate, i) =>
      makeRunResult({
        cell: { rate },
        offeredRate: rate,
        rps: Math.min(rate, 750),
        medianMs: rate <= 600 ? 20 : 150,
        errorRate: rate > 800 ? 0.05 : 0,
        seed: i + 1,
      }),
    )
    const a = analyzeSuite(makeSuiteResult({ kind: 'stress', runs, slo: { latency: { stat: 'p95', belowMs: 200 }, maxErrorRate: 0.01 } }))
    expect(a.knee?.maxSustainableRps).toBe(600)
    expect(a.knee?.evidence).toMatch(/at 800 req\/s p95 reaches/)
    expect(a.comparisons).toEqual([])
  })

  it('fits the USL over replica counts and plans capacity', () => {
    // The published Cisco measurements as runs, one per replica count (throughput rounded to
    // whole requests per second by the fixture): the fit lands on the book's model, and the plan
    // on the hand-computed count (capacity-plan.test.ts: 7,000 req/s with 30% headroom need 16).
    const runs = CISCO.map(([n, rps], i) => makeRunResult({ cell: { replicas: n }, rps, seed: i + 1, noise: 0 }))
    const a = analyzeSuite(makeSuiteResult({ kind: 'scale-out', runs }), { targetRps: 7000, headroom: 0.3 })
    expect(Math.abs(a.scalability!.sigma / CISCO_FIT.sigma - 1)).toBeLessThan(0.01)
    expect(Math.abs(a.scalability!.kappa / CISCO_FIT.kappa - 1)).toBeLessThan(0.01)
    expect(Math.abs(a.scalability!.nStar! - 35.57)).toBeLessThan(0.2)
    expect(a.capacityPlan?.replicas).toBe(16)
    expectNoNonFinite(a)
  })

  it('answers a scale-out with two replica counts explicitly', () => {
    const runs = [1, 2].map((n, i) => makeRunResult({ cell: { replicas: n }, rps: 300 * n, seed: i + 1 }))
    const a = analyzeSuite(makeSuiteResult({ kind: 'scale-out', runs }), { targetRps: 100000 })
    expect(a.scalability!.note).toMatch(/only 2 replica counts/)
    expect(a.capacityPlan!.replicas).toBeNull()
    expectNoNonFinite(a)
  })

  it('shows per-shard load and flags a hot shard', () => {
    const runs = [
      makeRunResult({ cell: { partition: 'range' }, shards: { '0': 100, '1': 100, '2': 200, '3': 1600 }, topology: { shards: 4 }, seed: 1 }),
      makeRunResult({
        cell: { partition: 'consistent-hash' },
        shards: { '0': 490, '1': 510, '2': 505, '3': 495 },
        topology: { shards: 4 },
        keysMovedIfShardAdded: 0.2,
        seed: 2,
      }),
    ]
    const a = analyzeSuite(makeSuiteResult({ runs }))
    const range = a.partitions!.find((p) => p.cellLabel === 'partition=range')!
    expect(range.hottestShare).toBeCloseTo(0.8, 6)
    expect(range.shareByShard['3']).toBeCloseTo(0.8, 6)
    expect(a.partitions!.find((p) => p.cellLabel === 'partition=consistent-hash')!.keysMovedIfShardAdded).toBe(0.2)
    expect(a.notes.join('\n')).toMatch(/partition=range: shard 3 takes 80% of shard requests \(even share 25%\)/)
    expect(a.notes.join('\n')).not.toMatch(/consistent-hash: shard/)
  })
})

describe("analyzeSuite: Little's law", () => {
  it('warns when throughput × mean latency is far from the connections of a closed-model run', () => {
    const ok = makeRunResult({ seed: 1 })
    const bad = makeRunResult({ cell: { x: 'bad' }, seed: 2 })
    bad.load = { model: 'closed', connections: 40, durationS: 30 }
    const a = analyzeSuite(makeSuiteResult({ runs: [ok, bad] }))
    const notes = a.notes.filter((n) => n.startsWith("Little's law"))
    expect(notes).toHaveLength(1)
    expect(notes[0]).toMatch(/x=bad #1: .* but 40 were kept open \(-\d+%\): .*load generator was the bottleneck/)
  })
})

describe('analyzeSuite: intervals from a single run', () => {
  it('cover the true throughput about 95% of the time (batch means over autocorrelated seconds)', () => {
    let covered = 0
    const trials = 80
    for (let seed = 1; seed <= trials; seed++) {
      const run = makeRunResult({ rps: 500, durationS: 30, noise: 0.06, autocorrelation: 0.6, samplesPerSecond: 20, seed })
      const a = analyzeSuite(makeSuiteResult({ runs: [run] }))
      const i = a.cells[0]!.metrics.rps!
      if (i.lo <= 500 && 500 <= i.hi) covered++
    }
    expect(covered / trials).toBeGreaterThan(0.85)
    expect(covered / trials).toBeLessThan(1)
  })
})

describe('analyzeSuite: degenerate suites', () => {
  it('handles an empty suite and a suite whose runs all failed without NaN', () => {
    for (const suite of [
      makeSuiteResult({ runs: [] }),
      makeSuiteResult({
        runs: [
          { status: 'failed', rps: 0 },
          { status: 'failed', rps: 0, cell: { replicas: 2 } },
        ],
      }),
    ]) {
      const a = analyzeSuite(suite)
      expectNoNonFinite(a)
      expect(JSON.parse(JSON.stringify(a))).toEqual(a)
    }
    const a = analyzeSuite(makeSuiteResult({ runs: [{ status: 'failed', rps: 0 }] }))
    expect(a.notes.join('\n')).toMatch(/default: every run failed/)
  })
})
