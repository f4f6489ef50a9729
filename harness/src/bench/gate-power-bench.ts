import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ANALYSIS_METRIC_DEFINITIONS, type AnalysisMetric } from '../analysis/analysis-metrics.js'
import { normalQuantile, studentTCritical } from '../analysis/student-t.js'
import { median } from '../analysis/warm-up.js'
import { createEngine } from '../engines/engine-registry.js'
import { createEnvironment } from '../environment/create-environment.js'
import { BASELINE_METRICS, compareToBaseline, DEFAULT_TOLERANCE } from '../gates/baseline.js'
import { createSeededRandom } from '../random/seeded-random.js'
import type { RunResult, SuiteResult } from '../results/results-schema.js'
import { RESULTS_SCHEMA_VERSION } from '../results/results-schema.js'
import { executeRun } from '../runner/execute-run.js'
import { Reporters } from '../runner/reporter.js'
import { loadScenario } from '../scenario/load-scenario.js'
import { planRuns } from '../scenario/plan-runs.js'
import type { Scenario } from '../scenario/scenario.js'
import { must } from '../util/must.js'

// `make bench-gates`: how often does the CI baseline gate cry wolf, and how often does it catch a
// real slowdown? Runs the shipped performance scenario at its CI length many times: a pool of
// runs per injected regression, collected round by round in a seeded random order (each round:
// two runs of the unchanged service and one at each regression), appended to a pool file as they
// finish, so the collection can be stopped and resumed and left to run unattended.
//
// A regression is defined by what a CI user sees, its effect on p95: level 1.2 is "p95 20%
// slower". The bench first measures the unchanged service's p95 (median of CALIBRATION_RUNS
// runs, kept next to the pool) and then slows the candidate's replicas by a constant delay per
// request of (level − 1) × that p95 (in whole ms, see regressionDelayMs), through the replicas'
// emulated service time. A constant
// delay shifts every quantile by the same amount, so p95 grows by that share. (A factor on the
// shards' service time, the first definition, hardly moved p95: the shards of this scenario work
// at a few % of their capacity, so +20% of their 2 ms was +0.4 ms on a p95 of ~10 ms, far below
// the run-to-run noise.) The pool's median p95 per level shows the change actually reached.
//
// Gates are formed from DISJOINT runs and judged per design:
//   today      2 vs 2 runs, the baseline recorded before the candidate (rounds r, r+1 then r+2,
//              r+3), Welch interval over run means (df ≈ 1–2): the method before this benchmark
//   new-2/4/6  2, 4 or 6 runs a side taken from the same rounds (interleaved, as `loadlab run`
//              now orders cells), random-effects interval (analysis/group-intervals.ts)
//   history-1  1 candidate run against a folder-style history of the 10 preceding baseline runs
// A gate fails when compareToBaseline (or today's rule) finds a regression beyond the 5%
// tolerance on any of rps, p95, p99, error rate. Reported per design and level: the share of
// gates that failed (false alarms at 1.0, detections otherwise) with a Wilson 95% interval, and
// the load and wall time per gate.
// Independence assumption: runs are independent draws of their level (every run starts its own
// processes); gates of one design and level share no run, so their outcomes are independent and
// the binomial interval applies. Gates of different levels share baseline runs.
//
// Environment: BENCH_GATES_ROUNDS (default 40), BENCH_GATES_POOL (default
// reports/bench-gates/pool.jsonl), BENCH_GATES_EVALUATE_ONLY=1 (judge an existing pool),
// BENCH_GATES_DURATION_S (measured seconds per run; default the scenario's 20),
// BENCH_GATES_RESAMPLE (default 200: also judge that many gates per design drawn at random from
// the pool, a cheap offline estimate whose gates share runs).

/** Injected regressions, as the factor on p95 they are sized for. */
export const SLOWDOWNS = [1, 1.1, 1.2, 1.5] as const
const SHARD_SERVICE_MS = 2
const CALIBRATION_RUNS = 3
const ROUND: readonly number[] = [1, 1, 1.1, 1.2, 1.5]

export interface PoolRun {
  round: number
  slot: number
  /** The injected regression: the factor on p95 it is sized for (1 = unchanged). */
  factor: number
  /** The constant delay per request added at the replicas for it, ms. */
  delayMs: number
  wallS: number
  run: RunResult
}

export function readPool(file: string): PoolRun[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PoolRun)
}

/** Calibration kept next to the pool, so a resumed collection injects the same delays. */
interface Calibration {
  p95Ms: number
  runs: number[]
}

/** The scenario at its CI length with one run, and the candidate's replicas slowed by `delayMs` per request. */
function withRegression(s: Scenario, delayMs: number, durationS: number | undefined): Scenario {
  if (!s.topology) throw new Error('the performance scenario must start a topology')
  const shard = { serviceTime: `constant:${SHARD_SERVICE_MS}`, slots: 8, queueLimit: 256 }
  // Enough slots that the delay is a delay and never a queue.
  const replica = delayMs > 0 ? { replica: { serviceTime: `constant:${Number(delayMs.toFixed(3))}`, slots: 1024, queueLimit: 1024 } } : {}
  const load = durationS !== undefined && s.load.model === 'open' && s.load.durationS !== undefined ? { ...s.load, durationS } : s.load
  return { ...s, repetitions: 1, matrix: {}, load, topology: { ...s.topology, emulation: { ...s.topology.emulation, shard, ...replica } } }
}

/**
 * The delay per request for a level: (level − 1) × the calibrated p95, in whole milliseconds.
 * Node's timers count whole milliseconds (a 2.26 ms timeout fires after 3), so a fractional
 * delay would overshoot its level; a whole one is what it says.
 */
export function regressionDelayMs(factor: number, p95Ms: number): number {
  return factor === 1 ? 0 : Math.max(1, Math.round((factor - 1) * p95Ms))
}

async function collect(poolFile: string, rounds: number, durationS: number | undefined): Promise<void> {
  const scenario = await loadScenario('performance')
  const done = readPool(poolFile)
  mkdirSync(path.dirname(poolFile), { recursive: true })
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort(new Error('SIGINT')))
  process.once('SIGTERM', () => controller.abort(new Error('SIGTERM')))
  const once = async (delayMs: number, logName: string): Promise<{ run: RunResult; wallS: number } | null> => {
    const s = withRegression(scenario, delayMs, durationS)
    const planned = must(planRuns(s).runs[0], 'a scenario without a matrix plans one run')
    const logDir = path.join(path.dirname(poolFile), 'logs', logName)
    const started = Date.now()
    const run = await executeRun(planned, {
      scenario: s,
      engine: createEngine(planned.workload.load.model === 'closed' ? 'autocannon' : 'native'),
      environment: createEnvironment(s, logDir),
      logDir,
      signal: controller.signal,
      reporters: new Reporters(),
    })
    if (run.status !== 'ok') {
      process.stderr.write(`${logName}: ${run.status} ${run.error ?? ''}: not kept\n`)
      return null
    }
    return { run, wallS: (Date.now() - started) / 1000 }
  }

  const calibrationFile = `${poolFile}.calibration.json`
  let calibration: Calibration | null = existsSync(calibrationFile) ? (JSON.parse(readFileSync(calibrationFile, 'utf8')) as Calibration) : null
  while (!calibration && !controller.signal.aborted) {
    const p95s: number[] = []
    for (let i = 0; i < CALIBRATION_RUNS && !controller.signal.aborted; i++) {
      const r = await once(0, `calibration-${i}`)
      if (r) p95s.push(r.run.metrics.http_req_duration.p95)
    }
    if (p95s.length < CALIBRATION_RUNS) continue
    calibration = { p95Ms: median(p95s), runs: p95s }
    writeFileSync(calibrationFile, `${JSON.stringify(calibration)}\n`)
    process.stderr.write(`calibration: p95 ${p95s.map((v) => v.toFixed(2)).join(', ')} ms; median ${calibration.p95Ms.toFixed(2)} ms\n`)
  }
  if (!calibration) return
  for (let round = 0; round < rounds && !controller.signal.aborted; round++) {
    // The order inside a round is shuffled (seeded by the round) so no level always runs first.
    const rnd = createSeededRandom(1000 + round)
    const order = ROUND.map((factor, slot) => ({ factor, slot })).sort(() => rnd.next() - 0.5)
    for (const { factor, slot } of order) {
      if (done.some((d) => d.round === round && d.slot === slot) || controller.signal.aborted) continue
      const delayMs = regressionDelayMs(factor, calibration.p95Ms)
      const r = await once(delayMs, `${round}-${slot}`)
      if (!r) continue
      const line: PoolRun = { round, slot, factor, delayMs, wallS: r.wallS, run: { ...r.run, histogram: '' } }
      appendFileSync(poolFile, `${JSON.stringify(line)}\n`)
      done.push(line)
      process.stderr.write(
        `round ${round + 1}/${rounds} x${factor} (+${delayMs.toFixed(2)} ms): p95 ${r.run.metrics.http_req_duration.p95.toFixed(2)} ms, ${r.run.metrics.http_reqs.rate.toFixed(0)} req/s (${line.wallS.toFixed(0)} s)\n`,
      )
    }
  }
}

function suiteOf(runs: RunResult[]): SuiteResult {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'loadlab', version: 'bench' },
    scenario: { name: 'performance', kind: 'performance', description: '', file: null, slo: null, thresholds: {} },
    startedAt: runs[0]?.startedAt ?? '',
    finishedAt: '',
    machine: { hostname: '', platform: '', cpus: 0, cpuModel: '', memoryMb: 0, node: '' },
    runs: runs.map((r, i) => ({ ...r, cell: {}, cellLabel: 'performance', id: `performance #${i + 1}`, repetition: i + 1 })),
    analysis: null,
    gates: null,
    verdict: { text: '', passed: true, exitCode: 0 },
  }
}

/**
 * Today's gate, as it was before the random-effects interval: Welch interval on the log ratio of
 * the run means (delta method) with Student-t at Welch–Satterthwaite df; a regression when the
 * whole interval lies beyond the tolerance. (One run a side used within-run batch means.)
 */
export function todaysGateFails(baseline: RunResult[], current: RunResult[], tolerance = DEFAULT_TOLERANCE): boolean {
  for (const metric of BASELINE_METRICS) {
    const def = ANALYSIS_METRIC_DEFINITIONS[metric as AnalysisMetric]
    const a = baseline.map((r) => def.overall(r)).filter((v): v is number => v !== null)
    const b = current.map((r) => def.overall(r)).filter((v): v is number => v !== null)
    if (a.length < 2 || b.length < 2) continue
    const m = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length
    const v = (xs: number[]) => xs.reduce((s, x) => s + (x - m(xs)) ** 2, 0) / (xs.length - 1)
    const ratio = def.scale === 'ratio'
    if (ratio && !(m(a) > 0 && m(b) > 0)) continue
    const va = v(a) / a.length / (ratio ? m(a) ** 2 : 1)
    const vb = v(b) / b.length / (ratio ? m(b) ** 2 : 1)
    const se = Math.sqrt(va + vb)
    if (!(se > 0)) continue
    const df = (va + vb) ** 2 / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1))
    const half = studentTCritical(0.05, df) * se
    const center = ratio ? Math.log(m(b) / m(a)) : m(b) - m(a)
    const [lo, hi] = ratio ? [Math.exp(center - half) - 1, Math.exp(center + half) - 1] : [center - half, center + half]
    const edge = ratio ? tolerance : tolerance / 10
    if (def.higherIsBetter ? hi < -edge : lo > edge) return true
  }
  return false
}

function newGateFails(baseline: RunResult[], current: RunResult[]): boolean {
  return !compareToBaseline(suiteOf(current), suiteOf(baseline), { tolerance: DEFAULT_TOLERANCE }).passed
}

/** Wilson score interval for k of n. */
export function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 1]
  const z = -normalQuantile(0.025)
  const p = k / n
  const den = 1 + (z * z) / n
  const center = (p + (z * z) / (2 * n)) / den
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / den
  return [Math.max(0, center - half), Math.min(1, center + half)]
}

interface Design {
  name: string
  perSide: number
  /** Rounds one gate uses (its runs come from these rounds only). */
  rounds: number
  describe: string
  gate(pool: PoolRun[], firstRound: number, factor: number): { baseline: RunResult[]; current: RunResult[] } | null
  fails(baseline: RunResult[], current: RunResult[]): boolean
}

function at(pool: PoolRun[], round: number, slot: number): RunResult | null {
  return pool.find((p) => p.round === round && p.slot === slot)?.run ?? null
}

/** The candidate's slot in a round: the second 1.0 run for false alarms, else the slowed run. */
function candidateSlot(factor: number): number {
  return factor === 1 ? 1 : ROUND.indexOf(factor)
}

function take(pool: PoolRun[], rounds: number[], slot: number): RunResult[] | null {
  const runs = rounds.map((r) => at(pool, r, slot))
  return runs.every((r): r is RunResult => r !== null) ? runs : null
}

export const DESIGNS: Design[] = [
  {
    name: 'today',
    perSide: 2,
    rounds: 4,
    describe: '2 vs 2, baseline measured before the candidate, Welch over run means',
    gate: (pool, r, f) => {
      const baseline = take(pool, [r, r + 1], 0)
      const current = take(pool, [r + 2, r + 3], candidateSlot(f))
      return baseline && current ? { baseline, current } : null
    },
    fails: todaysGateFails,
  },
  ...[2, 4, 6].map(
    (n): Design => ({
      name: `new-${n}`,
      perSide: n,
      rounds: n,
      describe: `${n} vs ${n}, interleaved, random-effects interval`,
      gate: (pool, r, f) => {
        const rounds = Array.from({ length: n }, (_, i) => r + i)
        const baseline = take(pool, rounds, 0)
        const current = take(pool, rounds, candidateSlot(f))
        return baseline && current ? { baseline, current } : null
      },
      fails: newGateFails,
    }),
  ),
  {
    name: 'history-1',
    perSide: 1,
    rounds: 11,
    describe: '1 candidate run vs a history of the 10 baseline runs before it',
    gate: (pool, r, f) => {
      const baseline = take(
        pool,
        Array.from({ length: 10 }, (_, i) => r + i),
        0,
      )
      const current = take(pool, [r + 10], candidateSlot(f))
      return baseline && current ? { baseline, current } : null
    },
    fails: newGateFails,
  },
]

export interface PowerRow {
  design: string
  factor: number
  gates: number
  failed: number
  rate: number
  interval: [number, number]
  loadSPerSide: number
  wallSPerGate: number
}

export function evaluate(pool: PoolRun[]): PowerRow[] {
  const rounds = Math.max(-1, ...pool.map((p) => p.round)) + 1
  const rows: PowerRow[] = []
  const meanWall = pool.length > 0 ? pool.reduce((s, p) => s + p.wallS, 0) / pool.length : 0
  const loadS = pool[0]?.run.durationS ?? 0
  for (const d of DESIGNS) {
    for (const factor of SLOWDOWNS) {
      let gates = 0
      let failed = 0
      for (let r = 0; r + d.rounds <= rounds; r += d.rounds) {
        const g = d.gate(pool, r, factor)
        if (!g) continue
        gates++
        if (d.fails(g.baseline, g.current)) failed++
      }
      const sideRuns = d.name === 'history-1' ? 1 : d.perSide
      rows.push({
        design: d.name,
        factor,
        gates,
        failed,
        rate: gates > 0 ? failed / gates : 0,
        interval: wilson(failed, gates),
        loadSPerSide: sideRuns * loadS,
        wallSPerGate: (d.name === 'history-1' ? 1 : 2 * d.perSide) * meanWall,
      })
    }
  }
  return rows
}

/**
 * Offline check on the recorded pool: `n` gates per design and slowdown, each from runs drawn at
 * random (without replacement inside a gate, ignoring rounds). Cheap, but gates share runs, so
 * the rates are estimates whose binomial intervals would be too narrow: none is printed.
 */
export function resample(pool: PoolRun[], n: number, seed = 1): Array<{ design: string; factor: number; rate: number }> {
  const rnd = createSeededRandom(seed)
  const out: Array<{ design: string; factor: number; rate: number }> = []
  const ofLevel = (f: number) => pool.filter((p) => p.factor === f).map((p) => p.run)
  const draw = (xs: RunResult[], k: number) => {
    const copy = [...xs]
    const picked: RunResult[] = []
    for (let i = 0; i < k && copy.length > 0; i++) picked.push(copy.splice(rnd.int(copy.length), 1)[0]!)
    return picked
  }
  for (const d of DESIGNS) {
    const perSide = d.name === 'history-1' ? 10 : d.perSide
    const candidates = d.name === 'history-1' ? 1 : d.perSide
    for (const factor of SLOWDOWNS) {
      let failed = 0
      let gates = 0
      for (let g = 0; g < n; g++) {
        const base = ofLevel(1)
        const baseline = draw(base, perSide)
        const rest = factor === 1 ? base.filter((r) => !baseline.includes(r)) : ofLevel(factor)
        const current = draw(rest, candidates)
        if (baseline.length < perSide || current.length < candidates) break
        gates++
        if (d.fails(baseline, current)) failed++
      }
      if (gates > 0) out.push({ design: d.name, factor, rate: failed / gates })
    }
  }
  return out
}

export function formatPower(rows: PowerRow[], pool: PoolRun[]): string {
  const p95s = (f: number) => pool.filter((p) => p.factor === f).map((p) => p.run.metrics.http_req_duration.p95)
  const delay = (f: number) => pool.find((p) => p.factor === f)?.delayMs ?? 0
  const ref = p95s(1).length > 0 ? median(p95s(1)) : Number.NaN
  const lines = ['level  delay/request  runs  median p95 (change reached)  p95 range']
  for (const f of SLOWDOWNS) {
    const xs = p95s(f)
    if (xs.length === 0) continue
    const m = median(xs)
    const change = f === 1 ? 'reference' : `${((m / ref - 1) * 100).toFixed(1)}%`
    lines.push(
      `x${f.toFixed(1)}   ${`${delay(f).toFixed(2)} ms`.padStart(9)}     ${String(xs.length).padStart(4)}  ${`${m.toFixed(2)} ms (${change})`.padEnd(27)}  ${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)} ms`,
    )
  }
  lines.push('', 'design     level  gates  failed  rate (95% CI)                 load/side  wall/gate')
  for (const r of rows) {
    const what = r.factor === 1 ? 'false alarms' : 'detection'
    lines.push(
      `${r.design.padEnd(10)} x${r.factor.toFixed(1)}  ${String(r.gates).padStart(5)}  ${String(r.failed).padStart(6)}  ${`${(r.rate * 100).toFixed(0)}% (${(r.interval[0] * 100).toFixed(0)}–${(r.interval[1] * 100).toFixed(0)}%)`.padEnd(16)} ${what.padEnd(12)} ${`${r.loadSPerSide.toFixed(0)} s`.padStart(6)}  ${`${r.wallSPerGate.toFixed(0)} s`.padStart(7)}`,
    )
  }
  lines.push('', ...DESIGNS.map((d) => `${d.name}: ${d.describe}`))
  return `${lines.join('\n')}\n`
}

/** Disjoint gates a design needs at a level before its rates are judged against the targets. */
const MIN_GATES = 5
const MAX_LOAD_PER_SIDE_S = 120

/**
 * The targets (<= 5% false alarms, >= 90% detection of a +20% p95 regression, <= 2 minutes of
 * load per side), per design with enough disjoint gates; null when it has too few to judge.
 */
export function judgeTargets(rows: PowerRow[]): Array<{ design: string; met: boolean | null; why: string }> {
  return DESIGNS.map((d) => {
    const fa = rows.find((r) => r.design === d.name && r.factor === 1)
    const det = rows.find((r) => r.design === d.name && r.factor === 1.2)
    if (!fa || !det || fa.gates < MIN_GATES || det.gates < MIN_GATES)
      return { design: d.name, met: null, why: `too few disjoint gates (${fa?.gates ?? 0} and ${det?.gates ?? 0}; ${MIN_GATES} needed)` }
    const load = fa.loadSPerSide <= MAX_LOAD_PER_SIDE_S
    const met = fa.rate <= 0.05 && det.rate >= 0.9 && load
    return {
      design: d.name,
      met,
      why: `false alarms ${(fa.rate * 100).toFixed(0)}% of ${fa.gates}, detection of x1.2 ${(det.rate * 100).toFixed(0)}% of ${det.gates}, ${fa.loadSPerSide.toFixed(0)} s load per side`,
    }
  })
}

async function main(): Promise<void> {
  const poolFile = path.resolve(process.env.BENCH_GATES_POOL ?? 'reports/bench-gates/pool.jsonl')
  const rounds = Number(process.env.BENCH_GATES_ROUNDS ?? 40)
  const duration = process.env.BENCH_GATES_DURATION_S ? Number(process.env.BENCH_GATES_DURATION_S) : undefined
  if (!process.env.BENCH_GATES_EVALUATE_ONLY) await collect(poolFile, rounds, duration)
  const pool = readPool(poolFile)
  process.stdout.write(formatPower(evaluate(pool), pool))
  const draws = Number(process.env.BENCH_GATES_RESAMPLE ?? 200)
  if (draws > 0) {
    process.stdout.write(`\nresampled from the pool (${draws} gates each, runs drawn at random; gates share runs, so no intervals):\n`)
    for (const r of resample(pool, draws)) process.stdout.write(`  ${r.design.padEnd(10)} x${r.factor.toFixed(1)}  ${(r.rate * 100).toFixed(0)}%\n`)
  }
  const verdicts = judgeTargets(evaluate(pool))
  process.stdout.write('\ntargets (<= 5% false alarms, >= 90% detection of x1.2, <= 120 s of load per side):\n')
  for (const v of verdicts) process.stdout.write(`  ${v.design.padEnd(10)} ${v.met === null ? 'cannot judge' : v.met ? 'met' : 'NOT met'}: ${v.why}\n`)
  if (verdicts.every((v) => v.met === null)) {
    process.stdout.write(`too few gates to judge the targets (${pool.length} runs in the pool; raise BENCH_GATES_ROUNDS)\n`)
    return
  }
  if (!verdicts.some((v) => v.met === true)) process.exitCode = 99
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
    process.exitCode = 1
  })
}
