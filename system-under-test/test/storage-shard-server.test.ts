import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { CapacityOptions } from '../src/capacity/capacity-model.js'
import { newCustomerId } from '../src/domain/customer-id.js'
import { startShardServer, type RunningShardServer } from '../src/storage/embedded-shard-server.js'
import { ShardClient, ShardOverloadedError, ShardUnavailableError } from '../src/storage/shard-client.js'
import { customer, shardStoreContract } from './support/shard-store-contract.js'

const OFF: CapacityOptions = { serviceTime: { kind: 'off' }, slots: 8, queueLimit: 64, slowdown: 1 }

// The whole ShardStore contract, through ShardClient -> HTTP -> embedded shard server.
let contractServer: RunningShardServer | undefined
let contractClient: ShardClient | undefined
async function closeContractPair(): Promise<void> {
  await contractClient?.close()
  await contractServer?.close()
  contractClient = undefined
  contractServer = undefined
}
shardStoreContract('ShardClient over the embedded shard server', {
  async fresh() {
    await closeContractPair()
    contractServer = await startShardServer({ host: '127.0.0.1', port: 0, shardIndex: 0, capacity: OFF })
    contractClient = new ShardClient(contractServer.url)
    await contractClient.init()
    return contractClient
  },
  cleanup: closeContractPair,
})

describe('embedded shard server', () => {
  const toClose: { close(): Promise<void> }[] = []
  afterEach(async () => {
    for (const h of held.splice(0)) h.release()
    for (const c of toClose.splice(0).reverse()) await c.close()
  })
  async function start(capacity: CapacityOptions = OFF, shardIndex = 3): Promise<{ server: RunningShardServer; client: ShardClient }> {
    const server = await startShardServer({ host: '127.0.0.1', port: 0, shardIndex, capacity })
    toClose.push(server)
    const client = new ShardClient(server.url)
    toClose.push(client)
    return { server, client }
  }

  it('listens on 127.0.0.1 and answers health and readiness', async () => {
    const { server } = await start()
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
    expect((await fetch(`${server.url}/ready`)).status).toBe(200)
  })

  it('counts requests per operation and customers in /metrics, labelled with the shard index', async () => {
    const { server, client } = await start()
    await client.insertCustomers([customer('M One', 'm1@x.io'), customer('M Two', 'm2@x.io')])
    await client.getCustomer(newCustomerId(Date.now()))
    await client.getCustomer(newCustomerId(Date.now()))
    const text = await (await fetch(`${server.url}/metrics`)).text()
    expect(text).toMatch(/shard_requests_total\{op="getCustomer",shard="3"\} 2/)
    expect(text).toMatch(/shard_requests_total\{op="insertCustomers",shard="3"\} 1/)
    expect(text).toMatch(/shard_customers\{shard="3"\} 2/)
    expect(text).toMatch(/shard_capacity_rejected_total\{shard="3"\} 0/)
  })

  it('refuses with 503 and Retry-After when the capacity queue is full, and the client raises ShardOverloadedError', async () => {
    // One slot and one queue place, both held by requests the test ends itself (a minute of
    // service time each; aborting frees the slot): the refusal depends on the order of events,
    // never on how fast this machine is.
    const { server, client } = await start({ serviceTime: { kind: 'constant', ms: 60_000 }, slots: 1, queueLimit: 1, slowdown: 1 })
    const inService = holdRpc(server.url)
    await expectGauge(server.url, 'shard_capacity_in_service{shard="3"}', 1)
    const queued = holdRpc(server.url)
    await expectGauge(server.url, 'shard_capacity_queued{shard="3"}', 1)

    const error = await client.countCustomers().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ShardOverloadedError)
    expect((error as ShardOverloadedError).retryAfterSeconds).toBe(1)
    expect((error as Error).message).toContain(server.url)
    expect(await gauge(server.url, 'shard_capacity_rejected_total{shard="3"}')).toBe(1)

    // The held requests end; their slot and queue place come back, and the shard serves again.
    inService.release()
    queued.release()
    await expectGauge(server.url, 'shard_capacity_in_service{shard="3"}', 0)
    await expectGauge(server.url, 'shard_capacity_queued{shard="3"}', 0)
    await postJson(server, '/admin/slowdown', { factor: 1e-5 })
    expect(await client.countCustomers()).toBe(0)
  })

  it('keeps /health, /metrics and /admin out of the capacity queue', async () => {
    const { server, client } = await start({ serviceTime: { kind: 'constant', ms: 60_000 }, slots: 1, queueLimit: 0, slowdown: 1 })
    const busy = holdRpc(server.url)
    // The only slot is taken and there is no queue: an RPC is refused right now...
    await expectGauge(server.url, 'shard_capacity_in_service{shard="3"}', 1)
    await expect(client.countCustomers()).rejects.toBeInstanceOf(ShardOverloadedError)
    // ...while health, metrics and admin still answer.
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200)
    expect((await postJson(server, '/admin/slowdown', { factor: 1 })).status).toBe(200)
    expect(await gauge(server.url, 'shard_capacity_in_service{shard="3"}')).toBe(1)
    busy.release()
    await expectGauge(server.url, 'shard_capacity_in_service{shard="3"}', 0)
  })

  it('accepts a slowdown factor and refuses a bad one with 400 naming the field', async () => {
    const { server } = await start()
    const post = (body: string) =>
      fetch(`${server.url}/admin/slowdown`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
        body,
      })
    const ok = await post('{"factor":10}')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ factor: 10 })
    const bad = await post('{"factor":0}')
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await bad.json())).toContain('factor')
  })

  it('answers bad RPC bodies with 400 and details, unknown operations with 404, never a 500', async () => {
    const { server } = await start()
    const post = (path: string, body: string, type = 'application/json') =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body })
    const badArgs = await post('/rpc/getCustomer', '{"args":[42]}')
    expect(badArgs.status).toBe(400)
    expect(((await badArgs.json()) as { error: { details: unknown[] } }).error.details.length).toBeGreaterThan(0)
    expect((await post('/rpc/getCustomer', '{not json')).status).toBe(400)
    expect((await post('/rpc/getCustomer', '{"args":["x"]}', 'text/plain')).status).toBe(415)
    expect((await post('/rpc/dropDatabase', '{"args":[]}')).status).toBe(404)
    expect((await fetch(`${server.url}/nowhere`)).status).toBe(404)
  })

  it('client errors name the shard URL when the shard is down, and ping says false', async () => {
    const port = await freePort()
    const client = new ShardClient(`http://127.0.0.1:${port}`)
    toClose.push(client)
    expect(await client.ping()).toBe(false)
    const error = await client.getCustomer('cus_x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ShardUnavailableError)
    expect((error as Error).message).toContain(`http://127.0.0.1:${port}`)
    expect((error as Error).message).toContain('getCustomer')
  })

  it('refuses a shard address that is not an http URL, naming the flag', () => {
    expect(() => new ShardClient('postgres://localhost/db')).toThrow(/--store postgres/)
    expect(() => new ShardClient('localhost:7001')).toThrow(/http:\/\/127\.0\.0\.1:7001/)
  })
})

describe('shard CLI (as a process)', () => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url))
  // Killed after 30 s whatever happens: a CLI that hangs fails its test instead of outliving it.
  const run = (args: string[]) =>
    spawn(process.execPath, ['--import', 'tsx', main, 'shard', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000, killSignal: 'SIGKILL' })

  it('prints LISTENING with the real port, serves, and exits 0 on SIGTERM', async () => {
    const child = run(['--port', '0', '--shard-index', '2'])
    try {
      let out = ''
      child.stdout.setEncoding('utf8')
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: string) => {
          out += d
          const m = /^LISTENING (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out)
          if (m) resolve(m[1]!)
        })
        child.once('exit', (code) => reject(new Error(`shard exited early with ${code}: ${out}`)))
      })
      const metrics = await (await fetch(`${url}/metrics`)).text()
      expect(metrics).toContain('shard_customers{shard="2"} 0')
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const [code] = await exited
      expect(code).toBe(0)
      expect(out.trim().split('\n')).toHaveLength(1)
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })

  it('exits 2 naming the flag on a bad value, and lists every flag with its default on --help', async () => {
    const bad = run(['--port', 'seventy'])
    let err = ''
    bad.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
    const [code] = await once(bad, 'exit')
    expect(code).toBe(2)
    expect(err).toContain('--port')

    const help = run(['--help'])
    let out = ''
    help.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    const [helpCode] = await once(help, 'exit')
    expect(helpCode).toBe(0)
    for (const flag of ['--host', '--port', '--shard-index', '--service-time', '--slots', '--queue-limit']) expect(out).toContain(flag)
    expect(out).toContain('default: 7001')
  })
})

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

const held: { release(): void }[] = []

/** A countCustomers RPC the test holds open (it waits for its slot and service time) until release() aborts it (afterEach releases any left). */
function holdRpc(url: string): { release(): void } {
  const controller = new AbortController()
  fetch(`${url}/rpc/countCustomers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"args":[]}', signal: controller.signal }).catch(
    () => undefined,
  )
  const hold = { release: () => controller.abort() }
  held.push(hold)
  return hold
}

/** POSTs JSON to one of the server's admin routes, with its admin token. */
function postJson(server: RunningShardServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify(body),
  })
}

/** The value of one series (name with labels) on a /metrics page. */
async function gauge(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** Waits (by polling, with a generous timeout for a busy machine) until the series has `value`. */
async function expectGauge(url: string, series: string, value: number): Promise<void> {
  await expect.poll(() => gauge(url, series), { timeout: 30_000, interval: 20 }).toBe(value)
}
