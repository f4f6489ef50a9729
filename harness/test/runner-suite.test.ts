import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { EngineContext, LoadEngine } from '../src/engines/load-engine.js'
import type { Environment, StartedEnvironment } from '../src/environment/environment.js'
import { DeltaRecorder } from '../src/metrics/delta-recorder.js'
import type { EngineSummary, Sample } from '../src/metrics/sample.js'
import type { SuiteResult } from '../src/results/results-schema.js'
import { builtinReporter } from '../src/report/reporter-registry.js'
import { runSuite } from '../src/runner/run-suite.js'
import { validateScenario } from '../src/scenario/validate-scenario.js'
import type { Workload } from '../src/workload/workload.js'

// The suite's control flow with a fake engine and a fake environment (a tiny HTTP server that
// accepts the seeding): failures do not stop the suite, stress ramps stop past the knee,
// abortOnFail stops a run, Ctrl-C keeps finished runs, and reports are always written.

let server: http.Server
let target: URL
beforeAll(async () => {
  let next = 0
  server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      const n = req.url === '/admin/customers/bulk' ? (JSON.parse(body) as { customers: unknown[] }).customers.length : 0
      res.writeHead(req.url === '/admin/customers/bulk' ? 201 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ids: Array.from({ length: n }, () => `c${next++}`) }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  target = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
function outDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'loadlab-suite-'))
  dirs.push(d)
  return d
}

/** Latency grows with the offered rate beyond 300 req/s: a knee at 300. */
class FakeEngine implements LoadEngine {
  readonly name = 'native' as const
  runs = 0
  constructor(
    private readonly onRun?: (ctx: EngineContext, n: number) => void,
    /**
     * Moves a fake Date this far before the tick, so the recorder's live view (the last whole
     * second) has the samples: a second passes for the run without the test waiting for it.
     */
    private readonly advanceClockMs = 0,
    /** Latency (ms) of every request of the n-th run; default: 10 ms up to 300 req/s, 500 ms above. */
    private readonly latencyOf?: (n: number) => number,
  ) {}
  plan(w: Workload) {
    return [{ startS: 0, durationS: 1, description: `fake ${w.load.model}` }]
  }
  async run(w: Workload, _target: URL, ctx: EngineContext): Promise<EngineSummary> {
    this.runs++
    this.onRun?.(ctx, this.runs)
    const rate = w.load.model === 'open' ? (w.load.rate ?? 100) : 100
    const latency = this.latencyOf?.(this.runs) ?? (rate > 300 ? 500 : 10)
    const now = Date.now()
    const batch: Sample[] = Array.from({ length: rate }, (_, i) => ({
      epochMs: now + i / rate,
      op: 'get_customer',
      status: 200,
      latencyMs: latency,
      serviceLatencyMs: latency,
    }))
    ctx.sink.add(batch)
    if (this.advanceClockMs > 0) {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
      vi.advanceTimersByTime(this.advanceClockMs)
    }
    ctx.onTick?.({ elapsedS: 1, totalS: 1, second: 0, offeredRate: rate })
    return { engine: 'native', durationS: 1, sent: rate, dropped: 0, maxInFlight: 4, generatorCpu: 0.1, eventLoopLagP99Ms: 1, notes: [] }
  }
}

function fakeEnvironment(failOn: Set<number>, counter = { n: 0 }): () => Environment {
  return () => ({
    name: 'fake',
    async start(): Promise<StartedEnvironment> {
      counter.n++
      if (failOn.has(counter.n)) throw new Error(`member replica-1 would not start (attempt ${counter.n})`)
      return {
        entrypoint: () => target,
        adminEndpoint: () => ({ url: target, token: undefined }),
        members: () => [],
        fault: () => Promise.resolve('ok'),
        stop: () => Promise.resolve(),
        [Symbol.asyncDispose]: () => Promise.resolve(),
      }
    },
  })
}

/** One engine for every run of a suite, so it counts the runs. */
const singleEngine = (engine: FakeEngine) => () => engine

const base = {
  name: 'fake',
  kind: 'comparison',
  topology: { replicas: 1 },
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 10 },
  load: { model: 'open', rate: 100, durationS: 1 },
}

describe('runSuite', () => {
  it('records a failed run with its error and goes on with the next', async () => {
    const scenario = validateScenario({ ...base, matrix: { 'cache.strategy': ['none', 'lru', 'lfu'] } }, 'fake.ts')
    const dir = outDir()
    const { suite } = await runSuite(scenario, {
      outDir: dir,
      reporters: [builtinReporter('json', { outDir: dir })],
      engineFactory: () => new FakeEngine(),
      environmentFactory: fakeEnvironment(new Set([2])),
    })
    expect(suite.runs.map((r) => r.status)).toEqual(['ok', 'failed', 'ok'])
    expect(suite.runs[1]!.error).toMatch(/replica-1 would not start/)
    expect(suite.runs[0]!.metrics.http_reqs.count).toBe(100)
    expect(suite.verdict.passed).toBe(false)
    const written = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as SuiteResult
    expect(written.runs).toHaveLength(3)
  })

  it('stops a stress ramp once past the knee', async () => {
    const scenario = validateScenario(
      {
        ...base,
        kind: 'stress',
        stress: { startRate: 100, step: 100, maxRate: 1000, stepDurationS: 1 },
        slo: { latency: { stat: 'p95', belowMs: 100 }, maxErrorRate: 0.01 },
      },
      'fake.ts',
    )
    const engine = new FakeEngine()
    const { suite } = await runSuite(scenario, { outDir: outDir(), engineFactory: () => engine, environmentFactory: fakeEnvironment(new Set()) })
    // 100, 200, 300 meet the SLO; 400 and 500 fail it: two failing steps in a row end the ramp.
    expect(suite.runs.map((r) => r.cell.rate)).toEqual([100, 200, 300, 400, 500])
  })

  it('stops a run when an abortOnFail threshold fails, and the gate fails', async () => {
    const scenario = validateScenario(
      { ...base, load: { model: 'open', rate: 1000, durationS: 1 }, thresholds: { http_req_duration: [{ threshold: 'p(95)<100', abortOnFail: true }] } },
      'fake.ts',
    )
    let suite: SuiteResult
    try {
      ;({ suite } = await runSuite(scenario, {
        outDir: outDir(),
        engineFactory: () => new FakeEngine(undefined, 1100),
        environmentFactory: fakeEnvironment(new Set()),
      }))
    } finally {
      vi.useRealTimers()
    }
    expect(suite.runs[0]!.status).toBe('aborted')
    expect(suite.runs[0]!.error).toMatch(/p\(95\)<100 failed/)
    expect(suite.gates?.passed).toBe(false)
    expect(suite.verdict.exitCode).toBe(99)
  })

  it('on abort keeps the finished runs, marks the current one, skips the rest and still writes reports', async () => {
    const scenario = validateScenario({ ...base, repetitions: 4 }, 'fake.ts')
    const controller = new AbortController()
    const dir = outDir()
    const engine = new FakeEngine((_ctx, n) => {
      if (n === 2) controller.abort(new Error('SIGINT'))
    })
    const outcome = await runSuite(scenario, {
      outDir: dir,
      reporters: [builtinReporter('json', { outDir: dir })],
      signal: controller.signal,
      engineFactory: () => engine,
      environmentFactory: fakeEnvironment(new Set()),
    })
    expect(outcome.aborted).toBe(true)
    expect(outcome.suite.runs.map((r) => r.status)).toEqual(['ok', 'aborted'])
    expect(outcome.suite.verdict.exitCode).toBe(130)
    expect(JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')).runs).toHaveLength(2)
  })

  it('compares with --baseline and fails the gate (99) on a significant regression', async () => {
    const scenario = validateScenario({ ...base, repetitions: 3 }, 'fake.ts')
    const baselineDir = outDir()
    // The baseline answers in 11-13 ms, the new build in 101-103 ms: p95 is ~9x worse.
    // The json reporter writes the baseline's results.json, as `loadlab run` has it do.
    const before = await runSuite(scenario, {
      outDir: baselineDir,
      reporters: [builtinReporter('json', { outDir: baselineDir })],
      engineFactory: singleEngine(new FakeEngine(undefined, 0, (n) => 10 + n)),
      environmentFactory: fakeEnvironment(new Set()),
    })
    expect(before.suite.verdict.exitCode).toBe(0)
    const after = await runSuite(scenario, {
      outDir: outDir(),
      baselineFile: path.join(baselineDir, 'results.json'),
      engineFactory: singleEngine(new FakeEngine(undefined, 0, (n) => 100 + n)),
      environmentFactory: fakeEnvironment(new Set()),
    })
    const p95 = after.suite.gates?.baseline?.changes.find((c) => c.metric === 'p95')
    expect(p95).toMatchObject({ cellLabel: 'fake', significant: true, regression: true })
    // Means of the three runs' p95 (HDR histograms keep 3 significant digits).
    expect(p95!.baseline).toBeCloseTo(12, 1)
    expect(p95!.current).toBeCloseTo(102, 0)
    expect(after.suite.gates?.baseline?.changes.find((c) => c.metric === 'rps')?.regression).toBe(false)
    expect(after.suite.gates?.passed).toBe(false)
    expect(after.suite.verdict.exitCode).toBe(99)
    expect(after.suite.verdict.text).toMatch(/regression against the baseline: p95/)
  })

  it('refuses an unreadable baseline before running anything', async () => {
    const scenario = validateScenario(base, 'fake.ts')
    const engine = new FakeEngine()
    await expect(
      runSuite(scenario, {
        outDir: outDir(),
        baselineFile: '/nonexistent/results.json',
        engineFactory: () => engine,
        environmentFactory: fakeEnvironment(new Set()),
      }),
    ).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--baseline \/nonexistent\/results.json/) })
    expect(engine.runs).toBe(0)
  })
})

/** Ticks once per "second" without waiting; its warm-up latency follows `warmupLatency(second)`. */
class WarmingEngine implements LoadEngine {
  readonly name = 'native' as const
  warmupTicks: number[] = []
  constructor(
    private readonly warmupLatency: (second: number) => number,
    /** Report as load agents do: deltas of recorded histograms instead of samples. */
    private readonly viaDeltas = false,
  ) {}
  plan(w: Workload) {
    return [{ startS: 0, durationS: 1, description: `fake ${w.load.model}` }]
  }
  async run(w: Workload, _target: URL, ctx: EngineContext): Promise<EngineSummary> {
    const seconds = w.load.model === 'open' ? (w.load.durationS ?? 1) : 1
    const measuring = seconds <= 1
    let ticks = 0
    for (let s = 0; s < seconds && !ctx.signal.aborted; s++) {
      const latency = measuring ? 10 : this.warmupLatency(s)
      const now = Date.now()
      const samples = Array.from({ length: 50 }, (_, i) => ({
        epochMs: now + i,
        op: 'get_customer' as const,
        status: 200,
        latencyMs: latency,
        serviceLatencyMs: latency,
      }))
      if (this.viaDeltas) {
        const agent = new DeltaRecorder(now)
        agent.add(samples)
        ctx.sink.merge(agent.take()!)
      } else ctx.sink.add(samples)
      ctx.onTick?.({ elapsedS: s + 1, totalS: seconds, second: s, offeredRate: 50 })
      ticks++
      await new Promise((resolve) => setImmediate(resolve))
    }
    if (!measuring) this.warmupTicks.push(ticks)
    return { engine: 'native', durationS: ticks, sent: 50 * ticks, dropped: 0, maxInFlight: 4, generatorCpu: 0.1, eventLoopLagP99Ms: 1, notes: [] }
  }
}

describe('runSuite: warm-up and order', () => {
  it('warms up past the minimum while latency still falls, and stops once it is flat', async () => {
    const scenario = validateScenario({ ...base, warmup: { durationS: 2, maxS: 20 } }, 'fake.ts')
    // Falls for 6 s, then flat.
    const engine = new WarmingEngine((s) => (s < 6 ? 80 - 10 * s : 20))
    const { suite } = await runSuite(scenario, { outDir: outDir(), engineFactory: () => engine, environmentFactory: fakeEnvironment(new Set()) })
    expect(engine.warmupTicks).toHaveLength(1)
    expect(engine.warmupTicks[0]).toBeGreaterThanOrEqual(8)
    expect(engine.warmupTicks[0]).toBeLessThan(20)
    expect(suite.runs[0]!.validity.map((v) => v.message).join('\n')).not.toMatch(/warm-up reached its limit/)
  })

  it('judges the warm-up the same from load agents’ reports (deltas) as from samples', async () => {
    const scenario = validateScenario({ ...base, warmup: { durationS: 2, maxS: 20 } }, 'fake.ts')
    const fromSamples = new WarmingEngine((s) => (s < 6 ? 80 - 10 * s : 20))
    const fromDeltas = new WarmingEngine((s) => (s < 6 ? 80 - 10 * s : 20), true)
    await runSuite(scenario, { outDir: outDir(), engineFactory: () => fromSamples, environmentFactory: fakeEnvironment(new Set()) })
    await runSuite(scenario, { outDir: outDir(), engineFactory: () => fromDeltas, environmentFactory: fakeEnvironment(new Set()) })
    expect(fromDeltas.warmupTicks).toEqual(fromSamples.warmupTicks)
    expect(fromDeltas.warmupTicks[0]).toBeLessThan(20)
  })

  it('stops at warmup.maxS when the system never settles, and says so', async () => {
    const scenario = validateScenario({ ...base, warmup: { durationS: 2, maxS: 8 } }, 'fake.ts')
    const engine = new WarmingEngine((s) => 400 / (s + 1))
    const { suite } = await runSuite(scenario, { outDir: outDir(), engineFactory: () => engine, environmentFactory: fakeEnvironment(new Set()) })
    expect(engine.warmupTicks).toEqual([8])
    expect(suite.runs[0]!.validity.map((v) => v.message).join('\n')).toMatch(
      /the warm-up reached its limit \(8 s\) while latency or throughput were still improving/,
    )
  })

  it('runs the repetitions of a comparison interleaved (A B, B A), so drift hits every cell alike', async () => {
    const scenario = validateScenario({ ...base, repetitions: 2, matrix: { 'cache.strategy': ['none', 'lru'] } }, 'fake.ts')
    const { suite } = await runSuite(scenario, { outDir: outDir(), engineFactory: () => new FakeEngine(), environmentFactory: fakeEnvironment(new Set()) })
    expect(suite.runs.map((r) => r.id)).toEqual(['cache=none #1', 'cache=lru #1', 'cache=lru #2', 'cache=none #2'])
  })
})
