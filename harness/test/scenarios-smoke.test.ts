import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseSuiteResult } from '../src/results/load-results-file.js'
import type { RunResult, SuiteResult } from '../src/results/results-schema.js'
import { listBuiltinScenarios } from '../src/scenario/load-scenario.js'
import { isAlive, killLeftoverRuns, pidsIn, runLoadlab, type CliRun } from './support/run-fixtures.js'

// Every scenario shipped in scenarios/ runs end to end with --quick through the built CLI, as a
// user would run it: exit code, a valid results.json and every report, no process left behind.
// Each scenario also shows what it exists for (a redis cache the harness started, faults that
// fired at their atS, a stress ramp, a USL fit, ...).
//
// The runs go two at a time (their members listen on ports the system picks, so they cannot
// collide): the suite stays shorter, and results that depend on a quiet machine (a latency
// threshold of `performance`) are allowed to fail their gate, as they would on a busy CI runner.

const CONCURRENCY = Number(process.env.LOADLAB_SMOKE_CONCURRENCY ?? 2)
const RUN_TIMEOUT_MS = 300_000

const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-smoke-'))
const names = listBuiltinScenarios()

interface Finished {
  run: CliRun
  code: number
  outDir: string
  suite: SuiteResult
}

// Each test starts its scenario's run and the next ones, up to CONCURRENCY at a time, then
// awaits its own: the runs overlap, and a filtered test run (-t) starts little else.
const finished = new Map<string, Promise<Finished>>()
let slots = CONCURRENCY
const waiting: Array<() => void> = []
const slot = async (): Promise<void> => {
  if (slots > 0) {
    slots--
    return
  }
  await new Promise<void>((resolve) => waiting.push(resolve))
}
const release = (): void => {
  const next = waiting.shift()
  if (next) next()
  else slots++
}
function start(name: string): Promise<Finished> {
  let started = finished.get(name)
  if (!started) {
    started = (async () => {
      await slot()
      try {
        const outDir = path.join(dir, name)
        const run = runLoadlab(['run', name, '--quick', '--out', outDir], { timeoutMs: RUN_TIMEOUT_MS })
        const code = await run.exited
        const file = path.join(outDir, 'results.json')
        if (!existsSync(file)) throw new Error(`loadlab run ${name} --quick exited ${code} without results.json\n${run.stdout()}\n${run.stderr()}`)
        const suite = parseSuiteResult(JSON.parse(readFileSync(file, 'utf8')), file)
        return { run, code, outDir, suite }
      } finally {
        release()
      }
    })()
    // A run that fails is reported by its own test; prefetched ones must not be unhandled rejections.
    started.catch(() => undefined)
    finished.set(name, started)
  }
  return started
}

afterAll(() => {
  killLeftoverRuns()
  rmSync(dir, { recursive: true, force: true })
})

const runByCell = (suite: SuiteResult, label: string): RunResult => {
  const run = suite.runs.find((r) => r.cellLabel === label)
  if (!run) throw new Error(`no run of cell ${label}; cells: ${suite.runs.map((r) => r.cellLabel).join(', ')}`)
  return run
}

/** Shipped scenarios that run in the containers environment. */
const IN_CONTAINERS = new Set(['cache-over-network', 'scale-out-containers'])

/** What each scenario exists for, on top of what every scenario must do. */
const CHECKS: Record<string, (suite: SuiteResult, f: Finished) => void> = {
  quickstart(suite, f) {
    expect(suite.runs.map((r) => r.cellLabel)).toEqual(['cache=none', 'cache=lru', 'cache=lfu'])
    for (const r of suite.runs) expect(Object.keys(r.sut.backends).sort()).toEqual(['replica-1', 'replica-2'])
    expect(suite.runs[0]!.metrics.cache_hit_rate).toBeUndefined()
    for (const r of suite.runs.slice(1)) expect(r.metrics.cache_hit_rate?.rate, r.id).toBeGreaterThan(0)
    // Writes were read back: some checked, none lost.
    for (const r of suite.runs) expect(r.metrics.lost_writes, r.id).toMatchObject({ count: 0, checked: expect.any(Number) })
    for (const r of suite.runs) expect(r.metrics.lost_writes!.checked, r.id).toBeGreaterThan(0)
    expect(f.run.stdout()).toContain(path.join(f.outDir, 'index.html'))
    expect(f.run.stdout()).toMatch(/cache=lru #1/)
  },
  'compare-caches'(suite, f) {
    expect(suite.runs.map((r) => r.cellLabel)).toEqual(['cache=none', 'cache=lru', 'cache=lfu', 'cache=ttl', 'cache=redis', 'cache=memcached'])
    // The harness started a redis-server for the redis cell and a memcached for the memcached cell (and only for them).
    const members = readFileSync(path.join(f.outDir, 'pids.txt'), 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter(Boolean)
    expect(members.filter((m) => m === 'redis')).toHaveLength(1)
    expect(members.filter((m) => m === 'memcached')).toHaveLength(1)
    const memcached = runByCell(suite, 'cache=memcached')
    expect(memcached.metrics.cache_hit_rate?.rate).toBeGreaterThan(0)
    expect(memcached.metrics.stale_reads.count).toBe(0)
    const redis = runByCell(suite, 'cache=redis')
    expect(redis.topology.cache.strategy).toBe('redis')
    expect(redis.metrics.cache_hit_rate?.rate).toBeGreaterThan(0)
    expect(redis.metrics.lost_writes).toMatchObject({ count: 0 })
    expect(redis.metrics.lost_writes!.checked, 'writes read back through the redis cache').toBeGreaterThan(0)
  },
  'compare-balancers'(suite) {
    expect(suite.runs.map((r) => r.cellLabel)).toEqual(['balancer=round-robin', 'balancer=least-connections', 'balancer=p2c'])
    for (const r of suite.runs) {
      expect(r.faults, r.id).toEqual([expect.objectContaining({ action: 'slow', member: 'replica-2', ok: true, detail: 'service time x5' })])
      expect(Object.keys(r.sut.backends).sort(), r.id).toEqual(['replica-1', 'replica-2', 'replica-3'])
    }
  },
  'compare-partitions'(suite) {
    expect(suite.runs.map((r) => r.cellLabel)).toEqual(['partition=hash', 'partition=consistent-hash', 'partition=range'])
    for (const r of suite.runs) expect(Object.keys(r.sut.shards).sort(), r.id).toEqual(['0', '1', '2', '3'])
  },
  'scale-out'(suite) {
    expect(suite.runs.map((r) => r.topology.replicas)).toEqual([1, 2, 3, 4])
    expect(suite.analysis?.scalability?.points.map((p) => p.n)).toEqual([1, 2, 3, 4])
    expect(suite.analysis?.capacityPlan).toMatchObject({ targetRps: 250, headroom: 0.3 })
  },
  stress(suite) {
    // Open-model steps of 200 req/s from 100 (its quick settings), until past the knee or 900.
    const rates = suite.runs.map((r) => r.cell.rate)
    expect(rates[0]).toBe(100)
    rates.forEach((rate, i) => expect(rate).toBe(100 + 200 * i))
    for (const r of suite.runs) expect(r.load.model, r.id).toBe('open')
    expect(suite.analysis?.knee).toBeTruthy()
  },
  failover(suite) {
    const [run] = suite.runs
    // The faults fired at or after their atS, in order (--quick keeps them at the same place in
    // the shorter run: 10 s and 20 s of 30 become 1.7 s and 3.3 s of 5). A timer that a loaded
    // machine runs after the end of the measured phase is reported as not applied, never hidden.
    expect(run!.faults.map((e) => [e.action, e.member])).toEqual([
      ['kill', 'replica-2'],
      ['restart', 'replica-2'],
    ])
    expect(run!.faults[0]!.ok).toBe(true)
    const planned = [1.7, 3.3]
    run!.faults.forEach((e, i) => {
      expect(e.elapsedS, e.action).toBeGreaterThanOrEqual(planned[i]!)
      if (e.ok) expect(e.elapsedS, e.action).toBeLessThanOrEqual(run!.durationS)
      else expect(e.error, e.action).toBe('not applied: the run ended first')
    })
    expect(run!.metrics.lost_writes?.count).toBe(0)
    expect(run!.metrics.lost_writes?.checked).toBeGreaterThan(0)
  },
  spike(suite) {
    const [run] = suite.runs
    // The native engine with stages: every planned arrival was sent or dropped, and the 1 s
    // warm-up (at the first stage's rate) stayed out of the metrics, or the count would exceed the plan.
    expect(run!.load.model === 'open' && run!.load.stages && run!.load.stages.length).toBe(5)
    expect(run!.metrics.http_reqs.count + run!.metrics.dropped_iterations.count).toBe(plannedArrivals(run!))
    expect(run!.timeSeries.some((p) => (p.offeredRate ?? 0) > 300)).toBe(true)
  },
  soak(suite) {
    const outcomes = suite.gates!.thresholds.filter((t) => t.metric === 'stale_reads')
    expect(outcomes).toEqual([expect.objectContaining({ expression: 'count==0', value: suite.runs[0]!.metrics.stale_reads.count })])
    expect(suite.runs[0]!.metrics.stale_reads.checked).toBeGreaterThan(0)
  },
  'compare-stores'(suite) {
    expect(suite.runs.map((r) => r.cellLabel)).toEqual([
      'store=embedded partition=hash',
      'store=embedded partition=range',
      'store=postgres partition=hash',
      'store=postgres partition=range',
    ])
    for (const r of suite.runs) expect(r.metrics.lost_writes?.count, r.id).toBe(0)
  },
  'compare-sync'(suite) {
    expect(suite.runs.map((r) => r.cellLabel)).toEqual(['sync=none', 'sync=sync-call', 'sync=queue-push', 'sync=scheduled-pull'])
    // The baseline has no downstream: its faults are recorded as not applied, with the reason.
    const [baseline, ...syncing] = suite.runs
    expect(baseline!.faults.map((e) => [e.action, e.member, e.ok, e.error])).toEqual([
      ['kill', 'downstream', false, 'not applied: cell "sync=none" has no member "downstream"'],
      ['restart', 'downstream', false, 'not applied: cell "sync=none" has no member "downstream"'],
    ])
    expect(baseline!.metrics.sync_missing).toBeUndefined()
    for (const r of syncing) {
      expect(
        r.faults.map((e) => [e.action, e.member, e.ok]),
        r.id,
      ).toEqual([
        ['kill', 'downstream', true],
        ['restart', 'downstream', true],
      ])
      expect(r.sync?.strategy, r.id).toBe(r.cell['sync.strategy'])
      // Nothing acknowledged is lost downstream once the run drains, whichever strategy carried it.
      if (r.sync?.drainS !== null) expect(r.metrics.sync_missing?.count, r.id).toBe(0)
    }
  },
  'compare-brokers'(suite) {
    expect(suite.runs.map((r) => r.cellLabel)).toEqual(['sync.broker=rabbitmq', 'sync.broker=kafka'])
    for (const r of suite.runs) {
      expect(
        r.faults.map((e) => [e.action, e.member, e.ok]),
        r.id,
      ).toEqual([
        ['kill', 'downstream', true],
        ['restart', 'downstream', true],
      ])
      expect(r.sync, r.id).toMatchObject({ strategy: 'queue-push', broker: r.cell['sync.broker'] })
      expect(r.metrics.sync_missing?.checked, r.id).toBeGreaterThan(0)
      if (r.sync?.drainS !== null) expect(r.metrics.sync_missing?.count, r.id).toBe(0)
    }
  },
  'cache-over-network'(suite) {
    expect(suite.runs.map((r) => r.cellLabel)).toEqual(['cache=lru', 'cache=redis'])
    for (const r of suite.runs) expect(r.metrics.cache_hit_rate?.rate, r.id).toBeGreaterThan(0)
  },
  'scale-out-containers'(suite) {
    expect(suite.runs.map((r) => r.topology.replicas)).toEqual([1, 2, 3])
    expect(suite.analysis?.scalability?.points.map((p) => p.n)).toEqual([1, 2, 3])
  },
  performance(suite) {
    const availability = suite.gates!.thresholds.find((t) => t.metric === 'availability')
    expect(availability).toMatchObject({ expression: 'rate>0.999', value: suite.runs[0]!.metrics.availability.rate })
    expect(suite.gates!.thresholds.find((t) => t.metric === 'http_req_duration{op:get_customer}')?.value).toBeGreaterThan(0)
  },
}

/** Arrivals an open-model stages plan makes: the integral of its piecewise-linear rate, from 0 req/s. */
function plannedArrivals(run: RunResult): number {
  if (run.load.model !== 'open' || !run.load.stages) throw new Error(`${run.id} has no stages`)
  let rate = 0
  let arrivals = 0
  for (const stage of run.load.stages) {
    arrivals += ((rate + stage.target) / 2) * stage.durationS
    rate = stage.target
  }
  return Math.ceil(arrivals - 1e-9)
}

describe('every shipped scenario with --quick', () => {
  it('lists the shipped scenarios, each with its own checks', () => {
    expect([...names].sort()).toEqual(Object.keys(CHECKS).sort())
  })

  for (const name of names) {
    it(
      `${name}: runs end to end, writes valid results and every report, leaves no process`,
      async () => {
        const own = start(name)
        const next = names.indexOf(name) + 1
        for (const ahead of names.slice(next, next + CONCURRENCY - 1)) void start(ahead)
        const f = await own
        const { suite, code, run, outDir } = f
        // The exit code is the verdict's: 0, or 99 when a threshold failed (a latency threshold can
        // on a loaded machine); never a failed run or a crash.
        expect([0, 99], `${run.stdout()}\n${run.stderr()}`).toContain(code)
        expect(code).toBe(suite.verdict.exitCode)
        if (code === 99)
          expect(
            suite.gates?.thresholds.some((t) => !t.passed),
            suite.verdict.text,
          ).toBe(true)
        expect(suite.scenario.name).toBe(name)
        expect(suite.runs.length).toBeGreaterThan(0)
        for (const r of suite.runs) {
          expect(r.status, `${r.id}: ${r.error ?? ''}`).toBe('ok')
          expect(r.metrics.http_reqs.count, r.id).toBeGreaterThan(0)
        }
        for (const report of ['index.html', 'junit.xml', 'summary.md']) expect(existsSync(path.join(outDir, report)), report).toBe(true)
        // Local members are listed in pids.txt; a containers scenario's members are containers,
        // whose removal the containers environment's own tests check.
        if (!IN_CONTAINERS.has(name)) {
          expect(pidsIn(path.join(outDir, 'pids.txt')).length).toBeGreaterThan(0)
          expect(pidsIn(path.join(outDir, 'pids.txt')).filter(isAlive)).toEqual([])
        }
        CHECKS[name]!(suite, f)
      },
      RUN_TIMEOUT_MS * 2,
    )
  }
})
