import autocannon from 'autocannon'
import { startBenchServer, syntheticDataset, benchWorkload } from './engine-bench.js'
import { AutocannonEngine } from '../engines/autocannon-engine.js'
import { RunRecorder } from '../metrics/run-recorder.js'
import { VersionTracker } from '../workload/version-tracker.js'
const s = await startBenchServer(0)
const ours = async () => { const rec = new RunRecorder(Date.now()); await new AutocannonEngine().run(benchWorkload({ model: 'closed', connections: 50, durationS: 2 }), s.url, { sink: rec, signal: new AbortController().signal, dataset: syntheticDataset(), versions: new VersionTracker() }); return rec.finish(2).metrics.http_reqs.count }
const bare = () => new Promise<number>((res) => autocannon({ url: s.url.origin + '/customers/1', connections: 50, duration: 2 }, (e, r) => res(r.requests.total)))
const m = async (name: string, f: () => Promise<number>) => { const c0 = process.cpuUsage(); const n = await f(); const c = process.cpuUsage(c0); console.log(name, n / 2, ((c.user + c.system) / n).toFixed(1), 'µs/req', 'load', (await import('node:os')).loadavg()[0].toFixed(1)) }
for (let i = 0; i < 4; i++) { await m('ours', ours); await m('bare', bare) }
await s.stop()
