import { spawn, type ChildProcess } from 'node:child_process'
import { OpenEngine } from '../engines/open-engine.js'
import { AutocannonEngine } from '../engines/autocannon-engine.js'
import { RunRecorder } from '../metrics/run-recorder.js'
import { SutScraper } from '../metrics/sut-scraper.js'
import { VersionTracker } from '../workload/version-tracker.js'
import { seedDataset } from '../workload/dataset.js'
import { verifyWrites } from '../workload/verify-writes.js'
import type { Workload } from '../workload/workload.js'
const procs: ChildProcess[] = []
const start = (args: string[]) => new Promise<URL>((res, rej) => {
  const p = spawn(process.execPath, ['system-under-test/dist/main.js', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  procs.push(p)
  let buf = ''
  p.stdout!.on('data', (c) => { buf += c; const m = /LISTENING (\S+)/.exec(buf); if (m) res(new URL(m[1])) })
  p.on('exit', (c) => rej(new Error('exit ' + c)))
})
try {
  const s0 = await start(['shard', '--port', '0', '--shard-index', '0'])
  const s1 = await start(['shard', '--port', '0', '--shard-index', '1'])
  const r = await start(['replica', '--port', '0', '--name', 'r1', '--shards', `${s0.origin},${s1.origin}`, '--cache', 'lru'])
  const mix = { get_customer: 50, search_customers: 10, customer_360: 10, create_customer: 5, update_customer: 10, add_activity: 10, list_deals: 5 }
  for (const engine of ['open', 'autocannon'] as const) {
    const w: Workload = { mix, keys: { kind: 'zipf', s: 1 }, datasetSize: 10000, seed: engine === 'open' ? 1 : 2, requestTimeoutMs: 5000,
      load: engine === 'open' ? { model: 'open', rate: 300, durationS: 3, maxInFlight: 200 } : { model: 'closed', connections: 16, durationS: 3 } }
    const t0 = Date.now()
    const ds = await seedDataset(r, w, new AbortController().signal)
    console.log(engine, 'seeded', ds.customerIds.length, 'in', Date.now() - t0, 'ms')
    const versions = new VersionTracker()
    const scraper = new SutScraper([{ name: 'r1', role: 'replica', metricsUrl: new URL('/metrics', r).href }, { name: 'shard-0', role: 'shard', metricsUrl: new URL('/metrics', s0).href }])
    await scraper.start()
    const rec = new RunRecorder(Date.now())
    const e = engine === 'open' ? new OpenEngine() : new AutocannonEngine()
    const sum = await e.run(w, r, { sink: rec, signal: new AbortController().signal, dataset: ds, versions, onTick: (t) => t.offeredRate && rec.noteOfferedRate(t.elapsedS - 1, t.offeredRate) })
    const sc = await scraper.stop()
    const res = rec.finish(sum.durationS, sc.perSecondCacheHitRate)
    const lost = await verifyWrites(r, versions, new AbortController().signal)
    console.log(engine, JSON.stringify({ sum, reqs: res.metrics.http_reqs, status: res.metrics.status_counts, p50: res.metrics.http_req_duration.p50, p99: res.metrics.http_req_duration.p99, stale: res.metrics.stale_reads, lost, sut: sc.sut, hit: sc.perSecondCacheHitRate, ts: res.timeSeries.map((p) => [p.reqs, p.offeredRate, p.cacheHitRate]) }))
    for (const [op, m] of Object.entries(res.perOperation)) console.log('  ', op, m!.http_reqs.count, m!.http_req_failed.fails, m!.http_req_duration.p50)
  }
} finally {
  for (const p of procs) p.kill('SIGTERM')
}
