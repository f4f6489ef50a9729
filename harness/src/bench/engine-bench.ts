import { spawnSync } from 'node:child_process'
import os from 'node:os'
import { pathToFileURL } from 'node:url'
import autocannon from 'autocannon'
import { AgentEngine } from '../agents/agent-engine.js'
import { RunRecorder } from '../metrics/run-recorder.js'
import { VersionTracker } from '../workload/version-tracker.js'
import { benchWorkload, startBenchServer, syntheticDataset } from './bench-server.js'
import { benchDurationS, printChecks, type Check } from './open-engine-bench.js'

// `make bench` (closed model): is LoadLab's generator the bottleneck? Against a bare node:http
// server in a child process, in one run: req/s and CPU time per request of LoadLab's autocannon
// engine as a user runs it (in one load agent, the harness merging its reports), of bare
// autocannon and of wrk, with the same connections and duration. Targets: LoadLab >= 0.90x bare
// autocannon's req/s, and <= 1.1x its CPU per request. BENCH_DURATION_S (default 10) sets each
// measurement's length.

const CONNECTIONS = 50

interface Measured {
  rps: number
  cpuUsPerReq: number
  requests: number
  seconds: number
}

/** LoadLab's autocannon engine in one load agent: req/s, and the agent process's CPU time per request. */
async function ours(engine: AgentEngine, url: URL, durationS: number): Promise<Measured> {
  const w = benchWorkload({ model: 'closed', connections: CONNECTIONS, durationS })
  const ctx = { sink: new RunRecorder(Date.now()), signal: new AbortController().signal, dataset: syntheticDataset(), versions: new VersionTracker() }
  await engine.prepare(w, url, ctx)
  const recorder = new RunRecorder(Date.now())
  const summary = await engine.run(w, url, { ...ctx, sink: recorder })
  const requests = recorder.finish(summary.durationS).metrics.http_reqs.count
  const cpuS = (summary.agents ?? []).reduce((a, x) => a + x.cpu * summary.durationS, 0)
  return { rps: requests / summary.durationS, cpuUsPerReq: requests > 0 ? (cpuS * 1e6) / requests : Number.NaN, requests, seconds: summary.durationS }
}

/** Bare autocannon in this process (otherwise idle): req/s and this process's CPU time per request. */
async function bare(url: URL, durationS: number): Promise<Measured> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({ url: `${url.origin}/customers/1`, connections: CONNECTIONS, duration: durationS }, (err, res) => (err ? reject(err) : resolve(res)))
  })
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const requests = result.requests.total
  return { rps: requests / seconds, cpuUsPerReq: requests > 0 ? (cpu.user + cpu.system) / requests : Number.NaN, requests, seconds }
}

const combine = (parts: Measured[]): Measured => {
  const requests = parts.reduce((a, p) => a + p.requests, 0)
  const seconds = parts.reduce((a, p) => a + p.seconds, 0)
  const cpu = parts.reduce((a, p) => a + p.cpuUsPerReq * p.requests, 0)
  return { rps: requests / seconds, cpuUsPerReq: cpu / requests, requests, seconds }
}

function wrk(url: URL, durationS: number): number | string {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' })
  if (probe.error) return 'wrk not installed (Debian package "wrk")'
  const run = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${Math.max(1, Math.round(durationS))}s`, `${url.origin}/customers/1`], { encoding: 'utf8' })
  const m = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout ?? '')
  return m ? Number(m[1]) : `wrk failed: ${(run.stderr || run.stdout || '').trim().slice(0, 200)}`
}

export async function runEngineBench(durationS: number): Promise<Check[]> {
  console.log(`autocannon engine vs bare autocannon: ${durationS} s per measurement, ${CONNECTIONS} connections, bare node:http server in a child process`)
  const server = await startBenchServer(0)
  const engine = new AgentEngine({ engine: 'autocannon', agents: 1 })
  try {
    // Warm both up (JIT), then alternate A B B A so drifting machine load hits both alike.
    await ours(engine, server.url, 1)
    await bare(server.url, 1)
    const half = Math.max(1, durationS / 2)
    const o1 = await ours(engine, server.url, half)
    const b1 = await bare(server.url, half)
    const b2 = await bare(server.url, half)
    const o2 = await ours(engine, server.url, half)
    const a = combine([o1, o2])
    const b = combine([b1, b2])
    const wrkRps = wrk(server.url, durationS)
    const fmt = (m: Measured): string => `${m.rps.toFixed(0).padStart(7)} req/s, ${m.cpuUsPerReq.toFixed(1)} µs generator CPU per request`
    console.log(`  loadlab autocannon engine (1 agent): ${fmt(a)}`)
    console.log(`  bare autocannon:                     ${fmt(b)}`)
    console.log(`  wrk (-t1):                           ${typeof wrkRps === 'number' ? `${wrkRps.toFixed(0).padStart(7)} req/s` : wrkRps}`)
    const load = os.loadavg()[0]!
    if (load > os.availableParallelism())
      console.log(
        `note: load average ${load.toFixed(1)} on ${os.availableParallelism()} cores: other processes compete, req/s figures are noisy; the CPU-per-request figures are the steadier comparison`,
      )
    return [
      { name: 'req/s, loadlab autocannon engine / bare autocannon', value: (a.rps / b.rps).toFixed(3), target: '>= 0.90', met: a.rps >= 0.9 * b.rps },
      {
        name: 'CPU per request, loadlab autocannon engine / bare autocannon',
        value: `${a.cpuUsPerReq.toFixed(1)} / ${b.cpuUsPerReq.toFixed(1)} µs = ${(a.cpuUsPerReq / b.cpuUsPerReq).toFixed(2)}`,
        target: '<= 1.10',
        met: a.cpuUsPerReq <= 1.1 * b.cpuUsPerReq,
      },
    ]
  } finally {
    await engine.close()
    await server.stop()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runEngineBench(benchDurationS()).then(
    (checks) => process.exit(printChecks('autocannon engine vs bare autocannon', checks) ? 0 : 99),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
