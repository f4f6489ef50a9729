import {
  RESULTS_SCHEMA_VERSION,
  type FaultEvent,
  type RunResult,
  type SuiteAnalysis,
  type SuiteResult,
  type TimePoint,
} from '../../src/results/results-schema.js'
import type { LoadModel } from '../../src/workload/workload.js'

// Suite results for the HTML report's tests: a rich one with every optional part filled (three
// cache strategies x two repetitions, a fault, a hot shard, knee, USL fit, capacity plan, gates,
// baseline) and a minimal one (one run, no analysis, no gates). Values are deterministic.

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

function latency(p50: number) {
  return { count: 0, min: p50 * 0.3, mean: p50 * 1.2, stdev: p50 * 0.8, p50, p90: p50 * 2.1, p95: p50 * 2.8, p99: p50 * 5.5, p999: p50 * 11, max: p50 * 19 }
}

interface RunOptions {
  id: string
  cell: Record<string, string | number>
  cellLabel: string
  repetition: number
  rps: number
  p50: number
  errorRate?: number
  cacheHitRate?: number
  seconds?: number
  faults?: FaultEvent[]
  load?: LoadModel
  shards?: Record<string, number>
  backends?: Record<string, number>
  seed?: number
}

export function makeRun(o: RunOptions): RunResult {
  const random = rng(o.seed ?? 7)
  const seconds = o.seconds ?? 30
  const errorRate = o.errorRate ?? 0
  const timeSeries: TimePoint[] = []
  for (let t = 0; t < seconds; t++) {
    const faulted = (o.faults ?? []).some((f) => t >= f.elapsedS && t < f.elapsedS + 4)
    const reqs = Math.round(o.rps * (faulted ? 0.55 : 0.92 + random() * 0.16))
    const errors = faulted ? Math.round(reqs * 0.08) : Math.round(reqs * errorRate * random() * 2)
    const p50 = o.p50 * (faulted ? 3 : 0.9 + random() * 0.2)
    timeSeries.push({
      elapsedS: t,
      reqs,
      errors,
      dropped: 0,
      p50,
      p95: p50 * 2.8,
      p99: p50 * 5.5,
      max: p50 * 19,
      ...(o.load?.model === 'open' ? { offeredRate: o.rps } : {}),
      ...(o.cacheHitRate !== undefined ? { cacheHitRate: Math.min(1, o.cacheHitRate * (1 - Math.exp(-(t + 1) / 4))) } : {}),
    })
  }
  const count = timeSeries.reduce((s, p) => s + p.reqs, 0)
  const fails = timeSeries.reduce((s, p) => s + p.errors, 0)
  const duration = { ...latency(o.p50), count }
  const load: LoadModel = o.load ?? { model: 'closed', connections: 16, durationS: seconds }
  const hits = o.cacheHitRate !== undefined ? Math.round(count * 0.7 * o.cacheHitRate) : 0
  const misses = o.cacheHitRate !== undefined ? Math.round(count * 0.7) - hits : 0
  return {
    id: o.id,
    cell: o.cell,
    cellLabel: o.cellLabel,
    repetition: o.repetition,
    topology: {
      environment: 'local',
      replicas: 2,
      shards: 4,
      balancer: { strategy: 'round-robin', engine: 'builtin' },
      partition: 'hash',
      cache: { strategy: String(o.cell.cache ?? 'none'), size: 10000, ttlMs: 30000, writePolicy: 'invalidate' },
      store: 'embedded',
      capacity: { serviceTime: 'exp:2', slots: 8, queueLimit: 64 },
    },
    workload: {
      mix: { get_customer: 60, search_customers: 20, update_customer: 20 },
      keys: { kind: 'zipf', s: 1 },
      datasetSize: 5000,
      seed: 42,
      load,
      requestTimeoutMs: 5000,
    },
    load,
    engine: load.model === 'open' ? 'native' : 'autocannon',
    startedAt: '2026-11-22T03:00:00.000Z',
    durationS: seconds,
    status: 'ok',
    metrics: {
      http_reqs: { count, rate: count / seconds },
      http_req_duration: duration,
      http_req_duration_uncorrected: { ...duration, p99: duration.p99 * 0.6 },
      http_req_failed: { rate: count ? fails / count : 0, fails, passes: count - fails },
      status_counts: { '200': count - fails, ...(fails ? { '503': fails } : {}) },
      dropped_iterations: { count: 0, rate: 0 },
      availability: { rate: count ? 1 - fails / count : 1 },
      ...(o.cacheHitRate !== undefined ? { cache_hit_rate: { rate: hits / (hits + misses), hits, misses } } : {}),
      stale_reads: { count: 0, checked: Math.round(count * 0.6) },
      lost_writes: { count: 0, checked: 120 },
    },
    perOperation: {},
    timeSeries,
    histogram: '',
    percentiles: [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100].map((p) => [
      p,
      p === 100 ? o.p50 * 19 : o.p50 * (0.3 + 0.7 * (p / 50) ** 0.5 + (p >= 90 ? 10 / (100.5 - p) : 0)),
    ]),
    sut: {
      backends: o.backends ?? { 'replica-1': Math.round(count / 2), 'replica-2': count - Math.round(count / 2) },
      shards: o.shards ?? { '0': Math.round(count * 0.26), '1': Math.round(count * 0.24), '2': Math.round(count * 0.25), '3': Math.round(count * 0.25) },
      ...(o.cacheHitRate !== undefined ? { cache: { hits, misses, evictions: 12, size: 900 } } : {}),
      keysMovedIfShardAdded: 0.8,
    },
    faults: o.faults ?? [],
    validity: [],
    generator: { cpu: 0.42, eventLoopLagP99Ms: 3.1, maxInFlight: 16 },
  }
}

const MACHINE = { hostname: 'ci-runner', platform: 'linux x64', cpus: 2, cpuModel: 'Test CPU @ 2.0GHz', memoryMb: 4096, node: 'v20.20.0' }

/** One closed-model run, no analysis and no gates: the report must show only what exists. */
export function makeMinimalSuite(overrides: Partial<SuiteResult> = {}): SuiteResult {
  const run = makeRun({ id: 'single #1', cell: {}, cellLabel: 'single', repetition: 1, rps: 400, p50: 4, seconds: 10 })
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'loadlab', version: '0.1.0' },
    scenario: { name: 'smoke', kind: 'performance', description: '', file: null, slo: null, thresholds: {} },
    startedAt: '2026-11-22T03:00:00.000Z',
    finishedAt: '2026-11-22T03:00:12.000Z',
    machine: MACHINE,
    runs: [run],
    analysis: null,
    gates: null,
    verdict: { text: 'smoke: 4,000 requests at 400 req/s, p95 11 ms, no errors.', passed: true, exitCode: 0 },
    ...overrides,
  }
}

/** Everything filled in: cache comparison with repetitions, a kill fault, a hot shard, knee, USL, plan, gates. */
export function makeRichSuite(overrides: Partial<SuiteResult> = {}): SuiteResult {
  const cells = [
    { cache: 'none', rps: 820, p50: 9, hit: undefined },
    { cache: 'lru', rps: 1240, p50: 4.2, hit: 0.78 },
    { cache: 'lfu', rps: 1290, p50: 3.9, hit: 0.83 },
  ]
  const runs: RunResult[] = []
  cells.forEach((c, ci) => {
    for (let rep = 1; rep <= 2; rep++) {
      const label = `cache=${c.cache}`
      runs.push(
        makeRun({
          id: `${label} #${rep}`,
          cell: { cache: c.cache },
          cellLabel: label,
          repetition: rep,
          rps: c.rps * (rep === 1 ? 1 : 0.97),
          p50: c.p50 * (rep === 1 ? 1 : 1.04),
          cacheHitRate: c.hit,
          errorRate: 0.001,
          seed: ci * 10 + rep,
          shards: c.cache === 'none' ? { '0': 5200, '1': 1900, '2': 1800, '3': 1700 } : undefined,
          faults:
            ci === 1 && rep === 1
              ? [
                  { elapsedS: 12, at: '2026-11-22T03:00:12.000Z', action: 'kill', member: 'replica-2', ok: true },
                  { elapsedS: 20, at: '2026-11-22T03:00:20.000Z', action: 'restart', member: 'replica-2', ok: true },
                ]
              : [],
        }),
      )
    }
  })
  runs.push(
    makeRun({
      id: 'open 1000 #1',
      cell: { cache: 'lru', rate: 1000 },
      cellLabel: 'cache=lru rate=1000',
      repetition: 1,
      rps: 1000,
      p50: 5,
      seed: 99,
      load: { model: 'open', rate: 1000, durationS: 30, maxInFlight: 256 },
    }),
  )
  runs[runs.length - 1]!.validity.push({
    level: 'warning',
    code: 'generator-saturated',
    message: 'The load generator used 93 % of a core; latencies may include generator delay.',
  })
  runs[0]!.validity.push({ level: 'info', code: 'short-run', message: 'Runs shorter than 60 s give wide intervals.' })

  const interval = (estimate: number, spread: number) => ({ estimate, lo: estimate * (1 - spread), hi: estimate * (1 + spread), n: 2, method: 't' })
  const analysis: SuiteAnalysis = {
    cells: cells.map((c) => ({
      cellLabel: `cache=${c.cache}`,
      cell: { cache: c.cache },
      runs: runs.filter((r) => r.cellLabel === `cache=${c.cache}`).map((r) => r.id),
      metrics: {
        rps: interval(c.rps * 0.985, 0.04),
        p95: interval(c.p50 * 2.8, 0.08),
        p99: interval(c.p50 * 5.5, 0.12),
        error_rate: interval(0.001, 0.5),
      },
    })),
    comparisons: [
      {
        metric: 'rps',
        a: 'cache=none',
        b: 'cache=lru',
        relDiff: { estimate: 0.51, lo: 0.42, hi: 0.6, n: 2, method: 'welch' },
        significant: true,
        better: 'cache=lru',
        text: 'cache=lru serves 51 % more requests per second than cache=none [42 % – 60 %].',
      },
      {
        metric: 'rps',
        a: 'cache=lru',
        b: 'cache=lfu',
        relDiff: { estimate: 0.04, lo: -0.03, hi: 0.11, n: 2, method: 'welch' },
        significant: false,
        better: null,
        text: 'cache=lfu and cache=lru are not distinguishable on throughput.',
      },
    ],
    winners: { rps: 'cache=lfu', p95: 'cache=lfu' },
    knee: {
      maxSustainableRps: 1400,
      sloText: 'p95 < 50 ms and errors < 1 %',
      evidence: 'p95 rose from 14 ms at 1,400 req/s to 96 ms at 1,600 req/s.',
      points: [200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800].map((offered) => {
        const lat = offered <= 1400 ? 8 + offered / 200 : 50 + (offered - 1400) * 0.5
        return { offeredRps: offered, achievedRps: Math.min(offered, 1550), latency: lat, errorRate: offered > 1500 ? 0.04 : 0, sloOk: lat < 50 }
      }),
    },
    scalability: {
      sigma: 0.05,
      kappa: 0.002,
      lambda: 600,
      nStar: 21.8,
      xStar: 5000,
      r2: 0.98,
      points: [1, 2, 4, 8].map((n) => {
        const fitted = (600 * n) / (1 + 0.05 * (n - 1) + 0.002 * n * (n - 1))
        const throughput = fitted * (n % 2 ? 1.02 : 0.98)
        return { n, throughput, fitted, residual: throughput - fitted, efficiency: throughput / (600 * n) }
      }),
    },
    capacityPlan: { targetRps: 3000, headroom: 0.3, replicas: 9, reason: 'The USL fit gives 4,020 req/s at 9 replicas, 30 % above 3,000 req/s.' },
    partitions: [
      { cellLabel: 'cache=none', shareByShard: { '0': 0.491, '1': 0.179, '2': 0.17, '3': 0.16 }, hottestShare: 0.491, keysMovedIfShardAdded: 0.8 },
      { cellLabel: 'cache=lru', shareByShard: { '0': 0.26, '1': 0.24, '2': 0.25, '3': 0.25 }, hottestShare: 0.26 },
    ],
    caches: [
      { cellLabel: 'cache=lru', hitRate: interval(0.78, 0.02), latencyGainPerPointMs: 0.21 },
      { cellLabel: 'cache=lfu', hitRate: interval(0.83, 0.02), latencyGainPerPointMs: 0.23 },
    ],
    notes: ['Two repetitions per cell give wide intervals; use 5 for decisions.'],
  }
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'loadlab', version: '0.1.0' },
    scenario: {
      name: 'cache-strategies',
      kind: 'performance',
      description: 'Which cache strategy serves the CRM read mix best?',
      file: 'scenarios/cache-strategies.ts',
      slo: { latency: { stat: 'p95', belowMs: 50 }, maxErrorRate: 0.01 },
      thresholds: { http_req_duration: ['p(95)<50'], http_req_failed: ['rate<0.01'] },
    },
    startedAt: '2026-11-22T03:00:00.000Z',
    finishedAt: '2026-11-22T03:04:10.000Z',
    machine: MACHINE,
    runs,
    analysis,
    gates: {
      passed: false,
      thresholds: [
        { runId: 'cache=lfu #1', metric: 'http_req_duration', expression: 'p(95)<50', value: 10.9, passed: true, abortOnFail: false },
        {
          runId: 'cache=none #1',
          metric: 'http_req_duration{op:get_customer}',
          expression: 'p(99)<40',
          value: 49.5,
          passed: false,
          abortOnFail: false,
          message: 'p(99) was 49.5 ms, above 40',
        },
        { runId: 'cache=none #1', metric: 'http_req_failed', expression: 'rate<0.01', value: 0.001, passed: true, abortOnFail: true },
      ],
      baseline: {
        file: 'baselines/main.json',
        tolerance: 0.1,
        passed: true,
        changes: [
          { metric: 'p95', cellLabel: 'cache=lru', baseline: 12.1, current: 11.8, relChange: -0.025, ci: [-0.08, 0.03], significant: false, regression: false },
          { metric: 'rps', cellLabel: 'cache=lru', baseline: 1180, current: 1222, relChange: 0.036, ci: [0.01, 0.06], significant: true, regression: false },
        ],
      },
    },
    verdict: {
      text: 'cache=lfu serves 57 % more requests per second than cache=none [48 % – 66 %]; 1 of 3 thresholds failed; 9 replicas serve 3,000 req/s with 30 % headroom.',
      passed: false,
      exitCode: 99,
    },
    ...overrides,
  }
}

/** The rich suite with hostile strings in every place text comes from outside. */
export function makeHostileSuite(): SuiteResult {
  const suite = makeRichSuite()
  const evil = '<script>alert(1)</script>'
  suite.scenario.name = evil
  suite.scenario.description = `<img src=x onerror=alert(2)> & "quotes" </script><!-- \u2028`
  suite.runs[0]!.error = `<b>boom</b></script><script>alert(3)</script>`
  suite.runs[0]!.status = 'failed'
  suite.runs[0]!.validity.push({ level: 'error', code: 'other', message: '<iframe src="https://evil.example"></iframe>' })
  suite.runs[1]!.cellLabel = `cache=<svg onload=alert(4)>`
  suite.runs[1]!.faults = [{ elapsedS: 5, at: '2026-11-22T03:00:05.000Z', action: 'pause', member: '<u>replica</u>', ok: false, error: '</script>' }]
  suite.analysis!.notes.push('</script><script>alert(5)</script>')
  suite.verdict.text = `${evil} failed`
  return suite
}
