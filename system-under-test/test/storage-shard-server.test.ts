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
    // One slot busy for a long second, one place in the queue: the third concurrent call is refused.
    const { server, client } = await start({ serviceTime: { kind: 'constant', ms: 1000 }, slots: 1, queueLimit: 1, slowdown: 1 })
    const results = await Promise.allSettled([1, 2, 3].map(() => client.countCustomers()))
    const refused = results.filter((r) => r.status === 'rejected')
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2)
    expect(refused).toHaveLength(1)
    const error = (refused[0] as PromiseRejectedResult).reason
    expect(error).toBeInstanceOf(ShardOverloadedError)
    expect((error as ShardOverloadedError).retryAfterSeconds).toBe(1)
    expect((error as Error).message).toContain(server.url)
    const text = await (await fetch(`${server.url}/metrics`)).text()
    expect(text).toMatch(/shard_capacity_rejected_total\{shard="3"\} 1/)
  })

  it('keeps /health, /metrics and /admin out of the capacity queue', async () => {
    const { server, client } = await start({ serviceTime: { kind: 'constant', ms: 1500 }, slots: 1, queueLimit: 0, slowdown: 1 })
    const busy = client.countCustomers()
    await new Promise((r) => setTimeout(r, 100))
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200)
    expect((await fetch(`${server.url}/admin/slowdown`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` }, body: '{"factor":1}' })).status).toBe(200)
    await busy
  })

  it('accepts a slowdown factor and refuses a bad one with 400 naming the field', async () => {
    const { server } = await start()
    const post = (body: string) => fetch(`${server.url}/admin/slowdown`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` }, body })
    const ok = await post('{"factor":10}')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ factor: 10 })
    const bad = await post('{"factor":0}')
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await bad.json())).toContain('factor')
  })

  it('answers bad RPC bodies with 400 and details, unknown operations with 404, never a 500', async () => {
    const { server } = await start()
    const post = (path: string, body: string, type = 'application/json') => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body })
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
  const run = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', main, 'shard', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })

  it('prints LISTENING with the real port, serves, and exits 0 on SIGTERM', async () => {
    const child = run(['--port', '0', '--shard-index', '2'])
    try {
      let out = ''
      child.stdout.setEncoding('utf8')
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: string) => {
          out += d
          const m = /^LISTENING (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out)
          if (m) resolve(m[1])
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
