import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine } from '../src/engines/engine-registry.js'
import { RunRecorder } from '../src/metrics/run-recorder.js'
import { SutScraper } from '../src/metrics/sut-scraper.js'
import { seedDataset } from '../src/workload/dataset.js'
import { VersionTracker } from '../src/workload/version-tracker.js'
import { verifyWrites } from '../src/workload/verify-writes.js'
import type { Workload } from '../src/workload/workload.js'

// The engines against the real CRM (two embedded shards, one replica with an LRU cache), built
// by `npm run build` (the test command builds first). Checks that what the engines send is what
// the CRM accepts, and that versions, 360 bodies, /metrics and the bulk endpoint line up.

const MAIN = 'system-under-test/dist/main.js'
const ADMIN_TOKEN = 'engine-real-crm-admin-token-0123'
const procs: ChildProcess[] = []
let replica: URL
let shard0: URL

function start(args: string[]): Promise<URL> {
  return new Promise<URL>((resolve, reject) => {
    const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOADLAB_ADMIN_TOKEN: ADMIN_TOKEN } })
    procs.push(p)
    let out = ''
    p.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /LISTENING (http:\/\/\S+)/.exec(out)
      if (m) resolve(new URL(m[1]!))
    })
    p.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code} before listening`)))
    setTimeout(() => reject(new Error(`${args[0]} printed no LISTENING line within 60 s`)), 60_000).unref()
  })
}

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`)
  shard0 = await start(['shard', '--port', '0', '--shard-index', '0'])
  const shard1 = await start(['shard', '--port', '0', '--shard-index', '1'])
  replica = await start(['replica', '--port', '0', '--name', 'r1', '--shards', `${shard0.origin},${shard1.origin}`, '--cache', 'lru'])
})

afterAll(async () => {
  await Promise.all(
    procs.map(async (p) => {
      if (p.exitCode !== null || p.signalCode !== null) return
      const exited = once(p, 'exit')
      p.kill('SIGTERM')
      const t = setTimeout(() => p.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(t)
    }),
  )
})

const MIX = { get_customer: 50, search_customers: 10, customer_360: 10, create_customer: 5, update_customer: 10, add_activity: 10, list_deals: 5 }

describe('engines against the real CRM', () => {
  for (const engine of ['native', 'autocannon'] as const) {
    it(`${engine}: every operation succeeds, no stale reads, no lost writes, SUT metrics scraped`, async () => {
      const w: Workload = {
        mix: MIX,
        // Most requests on 10 customers: reads meet customers this run updated within a few
        // requests, so the stale-read check runs however few requests a busy machine manages.
        keys: { kind: 'hotspot', hotKeyShare: 0.005, hotTrafficShare: 0.9 },
        datasetSize: 2000,
        seed: engine === 'native' ? 21 : 22,
        requestTimeoutMs: 5000,
        load: engine === 'native' ? { model: 'open', rate: 150, durationS: 2, maxInFlight: 100 } : { model: 'closed', connections: 8, durationS: 2 },
      }
      const signal = new AbortController().signal
      const dataset = await seedDataset(replica, w, signal, { adminToken: ADMIN_TOKEN })
      expect(dataset.customerIds).toHaveLength(2000)
      const versions = new VersionTracker()
      const scraper = new SutScraper([
        { name: 'r1', role: 'replica', metricsUrl: new URL('/metrics', replica).href },
        { name: 'shard-0', role: 'shard', metricsUrl: new URL('/metrics', shard0).href },
      ])
      await scraper.start()
      const recorder = new RunRecorder(Date.now())
      const summary = await createEngine(engine).run(w, replica, {
        sink: recorder,
        signal,
        dataset,
        versions,
        onTick: (t) => t.offeredRate !== undefined && recorder.noteOfferedRate(t.elapsedS, t.offeredRate),
      })
      const scraped = await scraper.stop()
      const r = recorder.finish(summary.durationS, scraped.perSecondCacheHitRate)
      expect(r.metrics.status_counts).toEqual({ '200': expect.any(Number), '201': expect.any(Number) })
      expect(Object.keys(r.perOperation).sort()).toEqual(Object.keys(MIX).sort())
      expect(r.metrics.stale_reads.checked).toBeGreaterThan(0)
      expect(r.metrics.stale_reads.count).toBe(0)
      expect(dataset.customerIds.length).toBe(2000 + r.perOperation.create_customer!.http_reqs.count)
      const lost = await verifyWrites(replica, versions, signal)
      expect(lost.checked).toBe(versions.size)
      expect(lost.count).toBe(0)
      expect(scraped.sut.backends.r1).toBeGreaterThanOrEqual(r.metrics.http_reqs.count)
      expect(Object.keys(scraped.sut.shards).sort()).toEqual(['0', '1'])
      expect(scraped.sut.cache?.hits).toBeGreaterThan(0)
      // One offered rate per planned second; a late end on a busy machine adds only seconds without arrivals.
      if (engine === 'native') {
        expect(r.timeSeries.slice(0, 2).map((p) => p.offeredRate)).toEqual([150, 150])
        for (const p of r.timeSeries.slice(2)) expect(p.offeredRate ?? 0).toBe(0)
      }
    })
  }
})
