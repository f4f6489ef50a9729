import { afterEach, describe, expect, it } from 'vitest'
import type { BalancerSnapshot } from '../src/balancer/balancer-control.js'
import { crash, startCrmCluster, type CrmCluster } from './support/balancer-crm-cluster.js'
import { percentile, runLoad, runOpenLoad, send } from './support/balancer-http.js'
import { spawnRole, stopAll } from './support/sut-processes.js'

// Failure behaviour of the built-in balancer with REAL replicas (spawned dist processes over a
// real shard server; `npm run build` first): a replica crashing under load, a replica ten times
// slower than the others, and POSTs in flight when a replica dies.

let cluster: CrmCluster | null = null

afterEach(async () => {
  await stopAll()
  await cluster?.stop()
  cluster = null
})

const HEALTH_INTERVAL_MS = 300
const HEALTH_TIMEOUT_MS = 150

// Fast detection for the crash tests. The slow-replica test uses the defaults' patience instead:
// under heavy load on two shared cores a 150 ms check timeout can fail on a live replica.
const FAST_DETECTION = ['--health-interval-ms', String(HEALTH_INTERVAL_MS), '--health-timeout-ms', String(HEALTH_TIMEOUT_MS), '--fall', '1', '--rise', '2', '--eject-ms', '60000']
const PATIENT_DETECTION = ['--health-interval-ms', '1000', '--health-timeout-ms', '1000', '--fall', '3']

async function startBalancer(strategy: string, backends: readonly string[], detection: readonly string[] = FAST_DETECTION) {
  return spawnRole('balancer', ['--port', '0', '--strategy', strategy, '--backends', backends.join(','), ...detection])
}

describe('built-in balancer failure behaviour (real replicas)', () => {
  // Twice: as configured by default (passive ejection usually acts first, within milliseconds),
  // and with passive ejection out of reach so the active health checks alone must do it.
  for (const [mode, ejectAfter] of [['passive ejection and health checks', '3'], ['health checks alone', '100000']] as const) {
    it(`stops sending to a crashed replica within one health interval plus one timeout, and no GET fails (${mode})`, async () => {
      cluster = await startCrmCluster({ replicas: 3, serviceMs: 2, slots: 8, seedCustomers: 100 })
      const victim = cluster.replicas[1]
      const lb = await startBalancer('round-robin', cluster.replicas.map((r) => r.url), [...FAST_DETECTION, '--eject-after', ejectAfter])
      const ids = cluster.customerIds
      let crashNow = false
      // Steady, bounded load: GETs from 4 workers for 4 s (at most 20k); the victim crashes after
      // the first 100, so the load runs on for seconds after the crash (else the test could not fail).
      const load = runLoad(lb.url, { total: 20_000, durationMs: 4000, concurrency: 4, path: (i) => {
        if (i === 100) crashNow = true
        return `/customers/${ids[i % ids.length]}`
      } })
      await expect.poll(() => crashNow, { timeout: 20_000, interval: 5 }).toBe(true)
      const killedAt = Date.now()
      await crash(victim)
      const results = await load
      const loadEndedAt = Date.now()
      expect(loadEndedAt - killedAt).toBeGreaterThan(2000)

      // Users notice failed GETs: there must be none (connect failures are retried on another replica).
      const failed = results.filter((r) => r.status !== 200)
      expect(failed, JSON.stringify(failed.slice(0, 3))).toEqual([])

      const state = (await send(lb.adminUrl!, '/admin/backends')).body as BalancerSnapshot
      const dead = state.backends.find((b) => b.url === victim.url)!
      expect(dead.up).toBe(false)
      expect(dead.lastSentAt).not.toBeNull()
      // The balancer's own record of its last send to the dead replica. Generous slack for a busy
      // machine: the promise is "within interval + timeout"; passive ejection usually acts in ms.
      const stoppedAfterMs = dead.lastSentAt! - killedAt
      console.log(`last request sent to the crashed replica ${stoppedAfterMs} ms after the crash; state ${JSON.stringify(dead)}`)
      expect(stoppedAfterMs).toBeLessThanOrEqual(HEALTH_INTERVAL_MS + HEALTH_TIMEOUT_MS + 1000)
      const metrics = String((await send(lb.url, '/metrics')).body)
      expect(Number(/^lb_retries_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0)
      // Traffic went on to the two survivors after the crash.
      const survivors = state.backends.filter((b) => b.url !== victim.url)
      for (const s of survivors) expect(s.lastSentAt!).toBeGreaterThan(killedAt)
      expect(dead.ejected).toBe(ejectAfter === '3')
    })
  }

  it('with one replica ten times slower, least-connections and p2c give a far lower p99 than round-robin', async () => {
    // One slot per replica, 10 ms service time (100 req/s each); the slow one takes 100 ms
    // (10 req/s). Users arrive at 45 req/s whatever the answers do (open model; a light rate so a
    // busy two-core machine keeps up). Round-robin still sends the slow replica a third (15 req/s,
    // 1.5x what it can serve): its queue grows for the whole run and p99 reaches seconds.
    // Least-connections and p2c give it a request only when it is idle and the others are no
    // less busy, so it rarely queues and p99 stays near its 100 ms service time.
    // (A closed loop caps the gap near 1/3 with three replicas: we measured 0.41-0.5 there.)
    cluster = await startCrmCluster({ replicas: 3, serviceMs: 10, slots: 1, seedCustomers: 100 })
    const slowdown = await send(cluster.replicas[2].url, '/admin/slowdown', { method: 'POST', body: { factor: 10 } })
    expect(slowdown.status).toBe(200)
    const ids = cluster.customerIds
    const path = (i: number) => `/customers/${ids[i % ids.length]}`
    const p99: Record<string, number> = {}
    const slowShare: Record<string, number> = {}
    for (const strategy of ['round-robin', 'least-connections', 'p2c']) {
      const lb = await startBalancer(strategy, cluster.replicas.map((r) => r.url), PATIENT_DETECTION)
      await runLoad(lb.url, { total: 30, concurrency: 3, path }) // warm-up: connections, JIT
      const results = await runOpenLoad(lb.url, { ratePerSec: 45, durationMs: 3000, maxInFlight: 200, path })
      const failed = results.filter((r) => r.status !== 200)
      expect(failed, `${strategy}: ${JSON.stringify(failed.slice(0, 3))}`).toEqual([])
      p99[strategy] = Math.round(percentile(results.map((r) => r.latencyMs), 99))
      slowShare[strategy] = Number((results.filter((r) => r.backend === cluster!.replicas[2].url).length / results.length).toFixed(3))
      await lb.stop()
      // runOpenLoad waited for every answer, so the slow replica's queue is empty again.
    }
    console.log(`one replica 10x slower: p99 ms ${JSON.stringify(p99)}; slow replica's share ${JSON.stringify(slowShare)}`)
    expect(p99['least-connections'] / p99['round-robin']).toBeLessThan(0.5)
    expect(p99.p2c / p99['round-robin']).toBeLessThan(0.5)
  })

  it('applies each POST at most once when a replica dies mid-load, and never retries one', async () => {
    cluster = await startCrmCluster({ replicas: 3, serviceMs: 20, slots: 8, seedCustomers: 1 })
    const victim = cluster.replicas[0]
    const lb = await startBalancer('round-robin', cluster.replicas.map((r) => r.url))
    let crashNow = false
    const email = (i: number) => `w${String(i).padStart(4, '0')}@failover.test`
    const load = runLoad(lb.url, {
      total: 240, concurrency: 8, method: 'POST',
      path: (i) => { if (i === 80) crashNow = true; return '/customers' },
      body: (i) => ({ name: `Writer ${i}`, email: email(i), company: 'LoadLab', segment: 'smb' }),
    })
    await expect.poll(() => crashNow, { timeout: 20_000, interval: 5 }).toBe(true)
    await crash(victim)
    const results = await load

    // A duplicate attempt of a POST would surface as 409 (the email already exists).
    expect(results.filter((r) => r.status === 409)).toEqual([])
    const unexpected = results.filter((r) => r.status !== 201 && r.status !== 502)
    expect(unexpected, JSON.stringify(unexpected.slice(0, 3))).toEqual([])
    const failedCount = results.filter((r) => r.status === 502).length
    expect(failedCount).toBeGreaterThan(0) // the crash did hit POSTs: the test exercised the rule

    // Read back every customer: each email at most once; every 201 exactly once.
    const seen = new Map<string, number>()
    let cursor: string | null = null
    do {
      const page = await send(cluster.replicas[1].url, `/customers?q=w&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      const body = page.body as { items: { email: string }[]; nextCursor: string | null }
      for (const c of body.items) seen.set(c.email, (seen.get(c.email) ?? 0) + 1)
      cursor = body.nextCursor
    } while (cursor)
    for (const [address, count] of seen) expect(count, address).toBe(1)
    for (const r of results) {
      const applied = seen.get(email(r.index)) ?? 0
      // 201: applied exactly once. 502: the replica died with it; applied once or not at all.
      if (r.status === 201) expect(applied, `request ${r.index} answered 201`).toBe(1)
      else expect(applied, `request ${r.index} answered ${r.status}`).toBeLessThanOrEqual(1)
    }

    const metrics = String((await send(lb.url, '/metrics')).body)
    expect(metrics).toMatch(/^lb_retries_total 0$/m)
  })
})
