import { spawnSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import type { BalancerSnapshot } from '../src/balancer/balancer-control.js'
import { closeAll, startStubBackends, type StubBackend } from './support/balancer-stub-backend.js'
import { runLoad, send, tally } from './support/balancer-http.js'
import { runToExit, spawnRole, stopAll } from './support/sut-processes.js'

// `node system-under-test/dist/main.js balancer ...` as users and the harness start it
// (`npm run build` first): flags, exit codes, the LISTENING/ADMIN lines, SIGTERM, real engines.

let stubs: StubBackend[] = []

afterEach(async () => {
  await stopAll()
  await closeAll(stubs)
  stubs = []
})

/** Whether a process with this exact pid is alive (signal 0 checks without sending). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function childPids(parent: number): number[] {
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8', timeout: 30_000 })
  return out.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0)
}

describe('balancer CLI', () => {
  it('--help lists every flag with its default', async () => {
    const run = await runToExit(['balancer', '--help'])
    expect(run.code).toBe(0)
    for (const flag of [
      '--port',
      '--admin-port',
      '--strategy',
      '--backends',
      '--weights',
      '--engine',
      '--health-interval-ms',
      '--health-timeout-ms',
      '--rise',
      '--fall',
      '--eject-after',
      '--eject-ms',
    ]) {
      expect(run.stdout).toContain(flag)
    }
    expect(run.stdout).toContain('default: 1000')
  })

  it('refuses bad flags with exit 2 and a message naming the input and the fix', async () => {
    const unknown = await runToExit(['balancer', '--strategy', 'fastest', '--backends', 'http://127.0.0.1:9'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/fastest.*round-robin.*p2c.*consistent-hash/s)

    const weights = await runToExit(['balancer', '--backends', 'http://127.0.0.1:9,http://127.0.0.1:10', '--weights', '1'])
    expect(weights.code).toBe(2)
    expect(weights.stderr).toContain('--weights: 1 weights for 2 backends')

    const url = await runToExit(['balancer', '--backends', 'localhost'])
    expect(url.code).toBe(2)
    expect(url.stderr).toContain('--backends (item 1)')

    const engine = await runToExit(['balancer', '--engine', 'envoy', '--backends', 'http://127.0.0.1:9'])
    expect(engine.code).toBe(2)
    expect(engine.stderr).toMatch(/envoy.*builtin, haproxy, nginx/s)
  })

  for (const engine of ['builtin', 'haproxy', 'nginx'] as const) {
    it(`--engine ${engine}: serves, reports per-backend counts on the admin port, exits 0 on SIGTERM leaving no process`, async () => {
      if (engine !== 'builtin') {
        const probe = spawnSync(engine, ['-v'], { timeout: 30_000 })
        expect(probe.error, `${engine} is not installed: run "apt-get install haproxy nginx-light" (CI's .ci/run does)`).toBeUndefined()
      }
      stubs = await startStubBackends(2)
      const lb = await spawnRole('balancer', ['--engine', engine, '--strategy', 'round-robin', '--backends', stubs.map((s) => s.url).join(',')])
      expect(lb.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const results = await runLoad(lb.url, { total: 40, concurrency: 1 })
      expect(tally(results.map((r) => r.backend))).toEqual(new Map(stubs.map((s) => [s.url, 20])))
      await expect
        .poll(async () => ((await send(lb.adminUrl!, '/admin/backends')).body as BalancerSnapshot).backends.map((b) => b.requests), { timeout: 30_000 })
        .toEqual([20, 20])
      const metrics = String((await send(lb.adminUrl!, '/metrics')).body)
      expect(metrics).toContain(`lb_requests_total{backend="${stubs[1]!.url}"} 20`)
      expect(metrics).toContain(`lb_backend_up{backend="${stubs[0]!.url}"} 1`)

      const children = childPids(lb.process.pid!)
      expect(children.length).toBe(engine === 'builtin' ? 0 : 1)
      expect(await lb.stop()).toBe(0)
      // The engine's master (and so its workers) is gone with the CLI.
      for (const pid of children) await expect.poll(() => alive(pid), { timeout: 30_000 }).toBe(false)
    })
  }

  it('takes an ejected backend back after --eject-ms, and an unhealthy one after --rise passing checks', async () => {
    stubs = await startStubBackends(2)
    const [flaky, steady] = stubs as [StubBackend, StubBackend]
    const lb = await spawnRole('balancer', [
      '--strategy',
      'round-robin',
      '--backends',
      stubs.map((s) => s.url).join(','),
      '--health-interval-ms',
      '100',
      '--health-timeout-ms',
      '1000',
      '--fall',
      '1',
      '--rise',
      '3',
      '--eject-after',
      '2',
      '--eject-ms',
      '800',
    ])
    const state = async () => ((await send(lb.adminUrl!, '/admin/backends')).body as BalancerSnapshot).backends[0]!
    const sendSome = async (n: number) => (await runLoad(lb.url, { total: n, concurrency: 1, path: () => '/customers/1' })).map((r) => r.backend)

    // Passive ejection: two 5xx answers in a row take it out for --eject-ms.
    flaky.failStatus = 500
    await expect.poll(async () => (await sendSome(2), (await state()).ejected), { timeout: 30_000 }).toBe(true)
    flaky.failStatus = null
    const { ejectedAt } = await state()
    await sendSome(6)
    await expect.poll(async () => (await state()).ejected, { timeout: 30_000, interval: 20 }).toBe(false)
    // Back only once its ejection period is over (5 ms for timer rounding), and nothing was sent
    // to it meanwhile: its last send is either the failure that ejected it or after the period
    // (the balancer's own clock, so this holds however slowly the requests went).
    expect(Date.now()).toBeGreaterThanOrEqual(ejectedAt! + 800 - 5)
    const { lastSentAt } = await state()
    expect(lastSentAt! <= ejectedAt! || lastSentAt! >= ejectedAt! + 800 - 5, `last send ${lastSentAt}, ejected at ${ejectedAt}`).toBe(true)
    expect(await sendSome(6)).toContain(flaky.url)

    // Active checks: one failing check (--fall 1) takes it out; it returns only after 3 passing ones.
    flaky.healthStatus = 503
    await expect.poll(async () => (await state()).healthy, { timeout: 30_000, interval: 20 }).toBe(false)
    expect(new Set(await sendSome(6))).toEqual(new Set([steady.url]))
    const passingFrom = flaky.healthChecks.length
    flaky.healthStatus = 200
    await expect.poll(async () => (await state()).healthy, { timeout: 30_000, interval: 20 }).toBe(true)
    const { healthChangedAt } = await state()
    const passedBeforeReturn = flaky.healthChecks.slice(passingFrom).filter((t) => t <= healthChangedAt!).length
    expect(passedBeforeReturn).toBeGreaterThanOrEqual(3)
    expect(await sendSome(6)).toContain(flaky.url)
  })

  it('exits 1 when the real engine dies', async () => {
    stubs = await startStubBackends(1)
    const lb = await spawnRole('balancer', ['--engine', 'haproxy', '--backends', stubs[0]!.url])
    const [haproxyPid] = childPids(lb.process.pid!)
    expect(haproxyPid).toBeGreaterThan(0)
    const exited = new Promise<number | null>((resolve) => lb.process.once('exit', (code) => resolve(code)))
    process.kill(haproxyPid!, 'SIGKILL')
    expect(await exited).toBe(1)
    expect(lb.output().stderr).toContain('haproxy exited unexpectedly')
  })
})
