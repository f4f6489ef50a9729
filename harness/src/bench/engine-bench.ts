import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import os from 'node:os'
import { pathToFileURL } from 'node:url'
import autocannon from 'autocannon'
import { AutocannonEngine } from '../engines/autocannon-engine.js'
import { OpenEngine } from '../engines/open-engine.js'
import { RunRecorder } from '../metrics/run-recorder.js'
import { VersionTracker } from '../workload/version-tracker.js'
import type { Workload } from '../workload/workload.js'
import type { Dataset } from '../workload/dataset.js'

// `make bench` (engines part): is LoadLab's generator the bottleneck? Against a bare node:http
// server in a child process, in one run: req/s of our autocannon engine, of bare autocannon and
// of wrk with the same connections and duration (target: ours >= 90% of bare autocannon); then
// the open engine's highest sustained arrival rate and its p50 error against a server that
// answers after a fixed 20 ms. BENCH_DURATION_S (default 10) sets each measurement's length.

const SERVER_SOURCE = `
const http = require('node:http')
const delay = Number(process.env.BENCH_DELAY_MS || 0)
const body = Buffer.from('{"id":"1","version":1}')
const send = (res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body) }
const server = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => delay > 0 ? setTimeout(send, delay, res) : send(res))
})
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => console.log('LISTENING http://127.0.0.1:' + server.address().port))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
setInterval(() => { if (process.ppid === 1) process.exit(0) }, 1000).unref()
`

export interface BenchServer { url: URL; stop(): Promise<void> }

/** A bare node:http server (optionally answering after `delayMs`) in a child process: the generator gets this process to itself. */
export async function startBenchServer(delayMs = 0): Promise<BenchServer> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER_SOURCE], {
    env: { ...process.env, BENCH_DELAY_MS: String(delayMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise<URL>((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString()
      const m = /LISTENING (http:\/\/\S+)/.exec(buf)
      if (m) resolve(new URL(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`bench server exited early with code ${code}`)))
  })
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(t)
    },
  }
}

/** A key space for servers that answer every path (no seeding needed). */
export function syntheticDataset(n = 1000): Dataset {
  return { customerIds: Array.from({ length: n }, (_, i) => String(i + 1)) }
}

export function benchWorkload(load: Workload['load']): Workload {
  return { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 1000, seed: 1, load, requestTimeoutMs: 10_000 }
}

const CONNECTIONS = 50

interface Measured { rps: number; cpuUsPerReq: number; requests: number; seconds: number }

/** CPU time of this process per completed request: a figure other load on the machine barely moves. */
async function measure(fn: () => Promise<number>): Promise<Measured> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const requests = await fn()
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  return { rps: requests / seconds, cpuUsPerReq: requests > 0 ? (cpu.user + cpu.system) / requests : Number.NaN, requests, seconds }
}

async function ourAutocannon(url: URL, durationS: number): Promise<number> {
  const recorder = new RunRecorder(Date.now())
  const summary = await new AutocannonEngine().run(benchWorkload({ model: 'closed', connections: CONNECTIONS, durationS }), url, {
    sink: recorder,
    signal: new AbortController().signal,
    dataset: syntheticDataset(),
    versions: new VersionTracker(),
  })
  return recorder.finish(summary.durationS).metrics.http_reqs.count
}

async function bareAutocannon(url: URL, durationS: number): Promise<number> {
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({ url: `${url.origin}/customers/1`, connections: CONNECTIONS, duration: durationS }, (err, res) => (err ? reject(err) : resolve(res)))
  })
  return result.requests.total
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

interface StepResult { offered: number; achieved: number; dropped: number; failed: number; p50: number; cpu: number }

async function openStep(url: URL, rate: number, durationS: number, maxInFlight = 1000): Promise<StepResult> {
  const recorder = new RunRecorder(Date.now())
  const summary = await new OpenEngine().run(benchWorkload({ model: 'open', rate, durationS, maxInFlight }), url, {
    sink: recorder,
    signal: new AbortController().signal,
    dataset: syntheticDataset(),
    versions: new VersionTracker(),
  })
  const r = recorder.finish(durationS)
  return {
    offered: rate,
    achieved: r.metrics.http_reqs.count / durationS,
    dropped: r.metrics.dropped_iterations.count,
    failed: r.metrics.http_req_failed.fails,
    p50: r.metrics.http_req_duration.p50,
    cpu: summary.generatorCpu,
  }
}

/** Raises the rate until an arrival is dropped, a request fails or less than 95% of the offered rate is achieved. */
async function highestSustainedRate(url: URL, stepS: number): Promise<{ best: number; steps: StepResult[] }> {
  const steps: StepResult[] = []
  let best = 0
  for (const rate of [500, 1000, 2000, 3000, 4000, 6000, 8000, 10_000, 12_000, 16_000, 20_000]) {
    const s = await openStep(url, rate, stepS)
    steps.push(s)
    const ok = s.dropped === 0 && s.failed === 0 && s.achieved >= 0.95 * rate
    console.log(`  open ${String(rate).padStart(6)} req/s offered: achieved ${s.achieved.toFixed(0)}, dropped ${s.dropped}, failed ${s.failed}, p50 ${s.p50.toFixed(2)} ms, generator ${(s.cpu * 100).toFixed(0)}% of a core (${((s.cpu * 1e6) / Math.max(1, s.achieved)).toFixed(1)} µs/request) ${ok ? 'ok' : 'NOT sustained'}`)
    if (!ok) break
    best = rate
  }
  return { best, steps }
}

export async function runEngineBench(durationS: number): Promise<{ ratio: number }> {
  console.log(`engine bench: ${durationS} s per measurement, ${CONNECTIONS} connections, bare node:http server in a child process`)
  const server = await startBenchServer(0)
  const delayed = await startBenchServer(20)
  try {
    // Warm both up (JIT), then alternate A B B A so drifting machine load hits both alike.
    await ourAutocannon(server.url, 1)
    await bareAutocannon(server.url, 1)
    const half = Math.max(1, durationS / 2)
    const o1 = await measure(() => ourAutocannon(server.url, half))
    const b1 = await measure(() => bareAutocannon(server.url, half))
    const b2 = await measure(() => bareAutocannon(server.url, half))
    const o2 = await measure(() => ourAutocannon(server.url, half))
    const ours = combine([o1, o2])
    const bare = combine([b1, b2])
    const wrkRps = wrk(server.url, durationS)
    const ratio = ours.rps / bare.rps
    const fmt = (m: Measured): string => `${m.rps.toFixed(0).padStart(7)} req/s, ${m.cpuUsPerReq.toFixed(1)} µs generator CPU per request`
    console.log(`loadlab autocannon engine: ${fmt(ours)}`)
    console.log(`bare autocannon:           ${fmt(bare)}`)
    console.log(`wrk (-t1):                 ${typeof wrkRps === 'number' ? `${wrkRps.toFixed(0).padStart(7)} req/s` : wrkRps}`)
    console.log(`ratio loadlab/bare autocannon: ${ratio.toFixed(3)} req/s (target >= 0.90: ${ratio >= 0.9 ? 'met' : 'NOT met'}); CPU per request ratio ${(ours.cpuUsPerReq / bare.cpuUsPerReq).toFixed(2)} (1 = same cost)`)
    const cores = os.cpus().length
    const load = os.loadavg()[0]
    if (load > cores) console.log(`note: load average ${load.toFixed(1)} on ${cores} cores: other processes compete, req/s figures are noisy; the CPU-per-request figures are the steadier comparison`)
    const stepS = Math.max(2, Math.round(durationS / 3))
    const { best, steps } = await highestSustainedRate(server.url, stepS)
    const lastOk = steps.filter((x) => x.offered <= best).at(-1)
    const oneCore = lastOk && lastOk.cpu > 0 ? (lastOk.achieved / lastOk.cpu).toFixed(0) : 'n/a'
    console.log(`open engine highest sustained rate: ${best} req/s (steps of ${stepS} s; drops, errors or < 95% achieved end the climb); CPU-bound estimate for one full core: ${oneCore} req/s`)
    const lat = await openStep(delayed.url, 200, Math.max(2, durationS / 2), 200)
    console.log(`open engine vs a fixed 20 ms server at 200 req/s: p50 ${lat.p50.toFixed(2)} ms, error ${(lat.p50 - 20).toFixed(2)} ms`)
    return { ratio }
  } finally {
    await Promise.all([server.stop(), delayed.stop()])
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const raw = process.env.BENCH_DURATION_S ?? '10'
  const durationS = Number(raw)
  if (!(durationS > 0)) {
    console.error(`BENCH_DURATION_S must be a number of seconds > 0, got '${raw}'`)
    process.exit(2)
  }
  runEngineBench(durationS).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
