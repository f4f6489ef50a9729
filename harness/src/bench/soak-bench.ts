import { pathToFileURL } from 'node:url'
import { linearRegression } from 'simple-statistics'
import { NativeEngine } from '../engines/native-engine.js'
import { RunRecorder } from '../metrics/run-recorder.js'
import { VersionTracker } from '../workload/version-tracker.js'
import { benchWorkload, startBenchServer, syntheticDataset } from './bench-server.js'

// `make bench` soak option: does the harness's memory stay flat on a long run? The native engine
// sends 2,000 req/s for SOAK_MINUTES (default 10) to a bare node:http server in a child
// process, through the real RunRecorder (histograms, not raw samples). Samples the resident
// set size every second, prints each minute's peak, fits a line through the per-minute peaks
// and checks: peak < 250 MB and no upward trend (slope < 2 MB/min after the first minute's
// warm-up). Exit code 99 when a target is missed (as a gate), 2 on a bad SOAK_MINUTES.

const RATE = 2000
const MAX_RSS_MB = 250
const MAX_SLOPE_MB_PER_MIN = 2

const rssMb = (): number => process.memoryUsage().rss / 1024 / 1024

export async function runSoakBench(minutes: number): Promise<boolean> {
  const server = await startBenchServer(0)
  try {
    const durationS = Math.round(minutes * 60)
    const points: Array<[number, number]> = []
    const start = rssMb()
    console.log(`soak: ${RATE} req/s open model for ${minutes} min; RSS at start ${start.toFixed(1)} MB`)
    const recorder = new RunRecorder(Date.now())
    let nextMinute = 1
    let intervalPeak = 0
    const summary = await new NativeEngine().run(benchWorkload({ model: 'open', rate: RATE, durationS, maxInFlight: 1000 }), server.url, {
      sink: recorder,
      signal: new AbortController().signal,
      dataset: syntheticDataset(10_000),
      versions: new VersionTracker(),
      onTick: (t) => {
        // RSS is sampled every second and each interval is judged by its PEAK: one reading a
        // minute lands anywhere on the garbage collector's sawtooth (127, 107, 127, 113 MB...)
        // and a line through such points shows a "trend" that is only GC timing. A leak
        // raises the peaks.
        intervalPeak = Math.max(intervalPeak, rssMb())
        // Report each minute (and every 10 s for runs shorter than two minutes).
        const step = minutes < 2 ? 1 / 6 : 1
        if (t.elapsedS / 60 >= nextMinute * step) {
          const m = intervalPeak
          intervalPeak = 0
          points.push([nextMinute * step, m])
          const live = recorder.live()
          console.log(
            `  ${(nextMinute * step).toFixed(2)} min: peak RSS ${m.toFixed(1)} MB, ${live.rps} req/s, p95 ${live.p95.toFixed(2)} ms, errors ${live.errors}, dropped ${live.dropped}`,
          )
          nextMinute++
        }
      },
    })
    const result = recorder.finish(summary.durationS)
    const end = rssMb()
    const peak = Math.max(start, end, ...points.map(([, m]) => m))
    // Skip the first point: JIT, pools and histogram buffers fill up in the first minute.
    const okPeak = peak < MAX_RSS_MB
    console.log(`RSS at end ${end.toFixed(1)} MB, peak ${peak.toFixed(1)} MB (target < ${MAX_RSS_MB}: ${okPeak ? 'met' : 'NOT met'})`)
    let okTrend = true
    if (minutes >= 3) {
      const fit = linearRegression(points.slice(1))
      okTrend = fit.m < MAX_SLOPE_MB_PER_MIN
      console.log(
        `trend of the per-minute RSS peaks ${fit.m.toFixed(2)} MB/min over ${points.length - 1} points after the first minute (target < ${MAX_SLOPE_MB_PER_MIN}: ${okTrend ? 'met' : 'NOT met'})`,
      )
    } else {
      console.log(`trend: not judged, ${minutes} min is too short to separate warm-up from growth (needs SOAK_MINUTES >= 3)`)
    }
    console.log(
      `sent ${summary.sent}, achieved ${result.metrics.http_reqs.rate.toFixed(0)} req/s, dropped ${summary.dropped}, p99 ${result.metrics.http_req_duration.p99.toFixed(2)} ms, generator ${(summary.generatorCpu * 100).toFixed(0)}% of a core`,
    )
    return okPeak && okTrend
  } finally {
    await server.stop()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const raw = process.env.SOAK_MINUTES ?? '10'
  const minutes = Number(raw)
  if (!(minutes > 0)) {
    console.error(`SOAK_MINUTES must be a number of minutes > 0, got '${raw}'`)
    process.exit(2)
  }
  runSoakBench(minutes).then(
    (ok) => process.exit(ok ? 0 : 99),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
