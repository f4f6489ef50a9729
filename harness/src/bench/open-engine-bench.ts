import os from 'node:os'
import { pathToFileURL } from 'node:url'
import { AgentEngine } from '../agents/agent-engine.js'
import { RunRecorder } from '../metrics/run-recorder.js'
import { VersionTracker } from '../workload/version-tracker.js'
import { benchWorkload, startBenchServer, syntheticDataset } from './bench-server.js'
import { findVegeta, runVegeta } from './vegeta.js'

// `make bench` (open model): LoadLab's native engine (open model), as a user runs it (one load agent, the
// harness merging its reports), side by side with Vegeta against the same bare node:http server
// in a child process. Targets:
//   - highest sustained open rate (no drops, no errors, >= 99% of the offered rate answered)
//     >= 1.0x Vegeta's;
//   - at half of Vegeta's highest sustained rate, over the whole run (no warm-up excluded):
//     p50 within 0.3 ms of Vegeta's, p99 within 1.5x;
//   - against a server answering after a fixed 20 ms, at 200 req/s: (corrected) p50 within
//     0.3 ms of Vegeta's, each arrival sent within 0.1 ms of its time (schedule lag p50).
// It also prints the generator's CPU time per request of both (a figure other load on the
// machine barely moves, unlike req/s and latencies) and LoadLab's schedule lag.
// BENCH_DURATION_S (default 10) sets each measurement's length; rate steps last a third of it.

const RATES = [1000, 2000, 4000, 6000, 8000, 10_000, 12_000, 14_000, 16_000, 18_000, 20_000, 24_000, 28_000, 32_000]
const MAX_IN_FLIGHT = 1000

export interface OpenMeasurement {
  offered: number
  achieved: number
  dropped: number
  failed: number
  p50Ms: number
  p99Ms: number
  cpuUsPerRequest: number
  lagP50Ms?: number
  lagP99Ms?: number
}

/** One open-model run of LoadLab through `engine` (agents), measured as `loadlab run` measures it. */
export async function loadlabOpen(engine: AgentEngine, url: URL, rate: number, durationS: number, maxInFlight = MAX_IN_FLIGHT): Promise<OpenMeasurement> {
  const w = benchWorkload({ model: 'open', rate, durationS, maxInFlight })
  const ctx = { sink: new RunRecorder(Date.now()), signal: new AbortController().signal, dataset: syntheticDataset(), versions: new VersionTracker() }
  await engine.prepare(w, url, ctx)
  const recorder = new RunRecorder(Date.now())
  const summary = await engine.run(w, url, { ...ctx, sink: recorder })
  const m = recorder.finish(durationS).metrics
  const agentCpuS = (summary.agents ?? []).reduce((a, x) => a + x.cpu * summary.durationS, 0)
  return {
    offered: rate,
    achieved: (m.http_reqs.count - m.http_req_failed.fails) / durationS,
    dropped: m.dropped_iterations.count,
    failed: m.http_req_failed.fails,
    p50Ms: m.http_req_duration.p50,
    p99Ms: m.http_req_duration.p99,
    cpuUsPerRequest: m.http_reqs.count > 0 ? (agentCpuS * 1e6) / m.http_reqs.count : Number.NaN,
    lagP50Ms: summary.scheduleLag?.p50Ms,
    lagP99Ms: summary.scheduleLag?.p99Ms,
  }
}

const sustained = (m: OpenMeasurement): boolean => m.dropped === 0 && m.failed === 0 && m.achieved >= 0.99 * m.offered

/** Raises the rate step by step until `measure` no longer sustains it; the highest sustained rate (0 if none). */
export async function highestSustained(name: string, measure: (rate: number) => Promise<OpenMeasurement>): Promise<number> {
  let best = 0
  for (const rate of RATES) {
    const m = await measure(rate)
    const ok = sustained(m)
    console.log(
      `  ${name.padEnd(8)} ${String(rate).padStart(6)} req/s offered: ${m.achieved.toFixed(0).padStart(6)} answered/s, dropped ${m.dropped}, failed ${m.failed}, ` +
        `p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms, ${m.cpuUsPerRequest.toFixed(1)} µs CPU/request ${ok ? 'ok' : 'NOT sustained'}`,
    )
    if (!ok) break
    best = rate
  }
  return best
}

/** A benchmark's verdict on one target; `judged: false` for a figure shown for information, or a target this machine cannot judge (it never fails the run). */
export interface Check {
  name: string
  value: string
  target: string
  met: boolean
  judged?: boolean
}

export async function runOpenEngineBench(durationS: number): Promise<Check[]> {
  const checks: Check[] = []
  const stepS = Math.max(2, Math.round(durationS / 3))
  console.log(
    `native engine vs Vegeta: ${durationS} s per measurement (${stepS} s rate steps), LoadLab through 1 load agent, bare node:http server in a child process`,
  )
  const vegeta = findVegeta()
  if ('missing' in vegeta) console.log(`  ${vegeta.missing}`)
  const server = await startBenchServer(0)
  const delayed = await startBenchServer(20)
  const engine = new AgentEngine({ engine: 'native', agents: 1 })
  const vegetaOpen = async (url: URL, rate: number, seconds: number): Promise<OpenMeasurement> => {
    if ('missing' in vegeta) throw new Error(vegeta.missing)
    const v = await runVegeta(vegeta.bin, url.origin, rate, seconds)
    // Vegeta never drops: an attack that could not keep the rate shows as a lower sent rate.
    return {
      offered: rate,
      achieved: v.achieved,
      dropped: v.sentRate < 0.99 * rate ? Math.round((rate - v.sentRate) * seconds) : 0,
      failed: Math.round(v.requests * (1 - v.success)),
      p50Ms: v.p50Ms,
      p99Ms: v.p99Ms,
      cpuUsPerRequest: v.cpuUsPerRequest,
    }
  }
  try {
    // JIT and connections warm for both, outside any measurement.
    await loadlabOpen(engine, server.url, 1000, 1)
    if ('bin' in vegeta) await vegetaOpen(server.url, 1000, 1)

    console.log('highest sustained open rate (no drops, no errors, >= 99% answered):')
    const ours = await highestSustained('loadlab', (rate) => loadlabOpen(engine, server.url, rate, stepS))
    const theirs = 'bin' in vegeta ? await highestSustained('vegeta', (rate) => vegetaOpen(server.url, rate, stepS)) : null
    if (theirs !== null)
      checks.push({
        name: 'highest sustained rate, loadlab / vegeta',
        value: `${ours} / ${theirs} = ${(ours / Math.max(1, theirs)).toFixed(2)}`,
        target: '>= 1.00',
        met: ours >= theirs,
      })

    const half = Math.max(500, Math.round((theirs ?? ours) / 2))
    console.log(`at half of ${theirs !== null ? 'Vegeta' : 'LoadLab'}'s highest sustained rate, ${half} req/s for ${durationS} s (whole run):`)
    const a = await loadlabOpen(engine, server.url, half, durationS)
    console.log(
      `  loadlab  p50 ${a.p50Ms.toFixed(3)} ms, p99 ${a.p99Ms.toFixed(3)} ms, ${a.cpuUsPerRequest.toFixed(1)} µs CPU/request, schedule lag p50 ${a.lagP50Ms?.toFixed(3)} / p99 ${a.lagP99Ms?.toFixed(3)} ms`,
    )
    if ('bin' in vegeta) {
      const b = await vegetaOpen(server.url, half, durationS)
      console.log(`  vegeta   p50 ${b.p50Ms.toFixed(3)} ms, p99 ${b.p99Ms.toFixed(3)} ms, ${b.cpuUsPerRequest.toFixed(1)} µs CPU/request`)
      checks.push({
        name: `p50 at ${half} req/s, loadlab - vegeta`,
        value: `${(a.p50Ms - b.p50Ms).toFixed(3)} ms`,
        target: '<= 0.3 ms',
        met: a.p50Ms - b.p50Ms <= 0.3,
      })
      checks.push({ name: `p99 at ${half} req/s, loadlab / vegeta`, value: (a.p99Ms / b.p99Ms).toFixed(2), target: '<= 1.5', met: a.p99Ms <= 1.5 * b.p99Ms })
      checks.push({
        name: `CPU per request at ${half} req/s, loadlab / vegeta (information)`,
        value: `${a.cpuUsPerRequest.toFixed(1)} / ${b.cpuUsPerRequest.toFixed(1)} µs = ${(a.cpuUsPerRequest / b.cpuUsPerRequest).toFixed(2)}`,
        target: '-',
        met: true,
        judged: false,
      })
    }

    console.log(`fixed 20 ms server at 200 req/s for ${durationS} s:`)
    const c = await loadlabOpen(engine, delayed.url, 200, durationS, 200)
    console.log(
      `  loadlab  corrected p50 ${c.p50Ms.toFixed(3)} ms (${(c.p50Ms - 20).toFixed(3)} ms above the server's 20 ms), schedule lag p50 ${c.lagP50Ms?.toFixed(3)} / p99 ${c.lagP99Ms?.toFixed(3)} ms`,
    )
    if (c.lagP50Ms !== undefined)
      checks.push({ name: 'schedule lag p50 at 200 req/s', value: `${c.lagP50Ms.toFixed(3)} ms`, target: '<= 0.1 ms', met: c.lagP50Ms <= 0.1 })
    if ('bin' in vegeta) {
      const d = await vegetaOpen(delayed.url, 200, durationS)
      console.log(`  vegeta   p50 ${d.p50Ms.toFixed(3)} ms (${(d.p50Ms - 20).toFixed(3)} ms above)`)
      checks.push({
        name: 'p50 against a 20 ms server at 200 req/s, loadlab - vegeta',
        value: `${(c.p50Ms - d.p50Ms).toFixed(3)} ms`,
        target: '<= 0.3 ms',
        met: c.p50Ms - d.p50Ms <= 0.3,
      })
    }
  } finally {
    await engine.close()
    await Promise.all([server.stop(), delayed.stop()])
  }
  const load = os.loadavg()[0]!
  if (load > os.availableParallelism())
    console.log(
      `note: load average ${load.toFixed(1)} on ${os.availableParallelism()} cores: other processes compete, so rates and latencies are noisy; the CPU-per-request figures are the steadier comparison`,
    )
  return checks
}

export function printChecks(title: string, checks: Check[]): boolean {
  console.log(`\n${title}`)
  for (const c of checks) console.log(`  ${c.judged === false ? 'info   ' : c.met ? 'met    ' : 'NOT met'}  ${c.name}: ${c.value} (target ${c.target})`)
  console.log(`BENCH_RESULT ${JSON.stringify({ bench: title, checks })}`)
  return checks.every((c) => c.met)
}

export function benchDurationS(): number {
  const raw = process.env.BENCH_DURATION_S ?? '10'
  const durationS = Number(raw)
  if (!(durationS > 0)) {
    console.error(`BENCH_DURATION_S must be a number of seconds > 0, got '${raw}'`)
    process.exit(2)
  }
  return durationS
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runOpenEngineBench(benchDurationS()).then(
    (checks) => process.exit(printChecks('native engine vs Vegeta', checks) ? 0 : 99),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
