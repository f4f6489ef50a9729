import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { registerChild } from '../environment/child-registry.js'
import type { Dataset } from '../workload/dataset.js'
import type { Workload } from '../workload/workload.js'

// The target of the engine benchmarks: a bare node:http server (optionally answering after a
// fixed delay, optionally several worker processes pinned to given cores) in child processes,
// so the load generator under test gets its own process and the figures compare generators,
// not servers.

const SERVER_SOURCE = `
const http = require('node:http')
const cluster = require('node:cluster')
const workers = Number(process.env.BENCH_WORKERS || 1)
if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork()
  let ready = 0
  cluster.on('message', (_w, msg) => { if (msg && msg.port && ++ready === workers) console.log('LISTENING http://127.0.0.1:' + msg.port) })
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0) })
} else {
  const delay = Number(process.env.BENCH_DELAY_MS || 0)
  const body = Buffer.from('{"id":"1","version":1}')
  const send = (res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body) }
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => delay > 0 ? setTimeout(send, delay, res) : send(res))
  })
  server.keepAliveTimeout = 60000
  const port = Number(process.env.BENCH_PORT || 0)
  server.listen(port, '127.0.0.1', () => {
    const url = 'http://127.0.0.1:' + server.address().port
    if (cluster.isWorker) process.send({ port: server.address().port })
    else console.log('LISTENING ' + url)
  })
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
}
setInterval(() => { if (process.ppid === 1) process.exit(0) }, 1000).unref()
`

export interface BenchServer {
  url: URL
  stop(): Promise<void>
}

export interface BenchServerOptions {
  /** Every response waits this long (ms). */
  delayMs?: number
  /** Worker processes sharing the port (node:cluster); default 1. */
  workers?: number
  /** Pin the server to these cores (taskset -c LIST), e.g. "2,3". */
  cpus?: string
  /** Port to listen on; default any free one (a cluster needs a fixed one: its workers share it). */
  port?: number
}

/** Starts the server in a child process and resolves with its URL once it listens. */
export async function startBenchServer(delayOrOptions: number | BenchServerOptions = 0): Promise<BenchServer> {
  const o: BenchServerOptions = typeof delayOrOptions === 'number' ? { delayMs: delayOrOptions } : delayOrOptions
  const workers = o.workers ?? 1
  if (workers > 1 && !o.port) throw new Error('a bench server with several workers needs a fixed port')
  const [command, args] = o.cpus ? ['taskset', ['-c', o.cpus, process.execPath, '-e', SERVER_SOURCE]] : [process.execPath, ['-e', SERVER_SOURCE]]
  const child: ChildProcess = spawn(command, args, {
    env: { ...process.env, BENCH_DELAY_MS: String(o.delayMs ?? 0), BENCH_WORKERS: String(workers), BENCH_PORT: String(o.port ?? 0) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  registerChild(child, { member: 'bench server', match: [path.basename(process.execPath), '-e'] })
  const url = await new Promise<URL>((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString()
      const m = /LISTENING (http:\/\/\S+)/.exec(buf)
      if (m) resolve(new URL(m[1]!))
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

/** A key space for servers that answer every path (no seeding needed): ids "1".."n". */
export function syntheticDataset(n = 1000): Dataset {
  return { customerIds: Array.from({ length: n }, (_, i) => String(i + 1)) }
}

/** GET /customers/<id> with uniform ids: the same requests Vegeta and bare autocannon are given. */
export function benchWorkload(load: Workload['load']): Workload {
  return { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 1000, seed: 1, load, requestTimeoutMs: 10_000 }
}
