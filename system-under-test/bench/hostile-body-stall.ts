// How long one hostile request body holds a replica's event loop: while each body below goes to
// POST /admin/customers/bulk, a probe sends GET /health every few milliseconds on its own
// connection; the longest probe wait is how long every other client of the replica waited too.
// The bodies: what a hostile probe sent (16 MB of nested arrays, declared and chunked), the
// largest nested and the largest flat body under the bulk route's 4 MiB cap, and a legitimate
// 5000-customer seed call for comparison.
//
//   npm run build && npx tsx system-under-test/bench/hostile-body-stall.ts
//   env: BENCH_PROBE_MS (5: probe interval), BENCH_REPEATS (3: sends of each body; the worst counts)
//
// Prints one line per body: its answer, how long it took, and the longest /health wait. Figures
// from a busy machine are upper bounds: neighbours stall the probe too; compare on a quiet run.

import { Client } from 'undici'
import { spawnRole, stopAll, TEST_ADMIN_HEADERS } from '../test/support/sut-processes.js'
import { envNumber, runBench } from './bench-support.js'

const PROBE_MS = envNumber('BENCH_PROBE_MS', 5)
const REPEATS = Math.round(envNumber('BENCH_REPEATS', 3))
const MIB = 1024 * 1024

interface Body {
  name: string
  /** Called for each send (a seed call needs fresh emails each time); null sends nothing (the noise floor). */
  text: () => string | null
  chunked?: boolean
}

function nested(bytes: number): string {
  const depth = Math.floor((bytes - '{"customers":}'.length) / 2)
  return `{"customers":${'['.repeat(depth)}${']'.repeat(depth)}}`
}

function flat(bytes: number): string {
  const count = Math.floor((bytes - '{"customers":[]}'.length) / 2)
  return `{"customers":[${'1,'.repeat(count - 1)}1]}`
}

let seedCalls = 0

function seedCall(): string {
  const now = Date.now() + seedCalls++
  const customers = Array.from({ length: 5000 }, (_, i) => ({
    name: `Customer with a long enough name ${i}`,
    email: `stall-${i}-${now}@example.com`,
    company: `Company ${i % 97}`,
    segment: 'smb',
    createdAt: new Date(now - (i + 1) * 60_000).toISOString(),
  }))
  return JSON.stringify({ customers })
}

async function main(): Promise<void> {
  const shard = await spawnRole('shard', ['--port', '0'])
  const replica = await spawnRole('replica', ['--port', '0', '--shards', shard.url])
  const bigNested = nested(16 * MIB)
  const capNested = nested(4 * MIB - 16)
  const capFlat = flat(4 * MIB - 16)
  const bodies: Body[] = [
    { name: 'nothing sent (the noise floor)', text: () => null },
    { name: '16 MB nested arrays, Content-Length', text: () => bigNested },
    { name: '16 MB nested arrays, chunked', text: () => bigNested, chunked: true },
    { name: '4 MiB nested arrays (just under the cap)', text: () => capNested },
    { name: '4 MiB flat array of numbers', text: () => capFlat },
    { name: '5000 customers (a real seed call)', text: seedCall },
  ]
  const sender = new Client(replica.url, { headersTimeout: 120_000, bodyTimeout: 120_000 })
  const probe = new Client(replica.url, { pipelining: 1 })
  console.log(`replica ${replica.url}; /health probe every ${PROBE_MS} ms; worst of ${REPEATS} sends each`)
  for (const body of bodies) {
    let worstProbe = 0
    let worstAnswer = 0
    let status = 0
    let size = 0
    for (let r = 0; r < REPEATS; r++) {
      const text = body.text()
      let probing = true
      let longest = 0
      const prober = (async () => {
        while (probing) {
          const started = performance.now()
          const res = await probe.request({ method: 'GET', path: '/health' })
          await res.body.dump()
          longest = Math.max(longest, performance.now() - started)
          await new Promise((resolve) => setTimeout(resolve, PROBE_MS))
        }
      })()
      const started = performance.now()
      const payload = Buffer.from(text ?? '')
      size = payload.length
      const res =
        text === null
          ? await new Promise<{ statusCode: number; body: null }>((resolve) => setTimeout(() => resolve({ statusCode: 0, body: null }), 500))
          : await sender
              .request({
                method: 'POST',
                path: '/admin/customers/bulk',
                headers: { ...TEST_ADMIN_HEADERS, ...(body.chunked ? {} : { 'content-length': String(payload.length) }) },
                // An async iterable has no known length: undici sends it chunked.
                body: body.chunked
                  ? (async function* () {
                      for (let i = 0; i < payload.length; i += 64 * 1024) yield payload.subarray(i, i + 64 * 1024)
                    })()
                  : payload,
              })
              .catch((error: unknown) => ({ statusCode: -1, body: null, error }))
      if (res.body) await res.body.dump()
      worstAnswer = Math.max(worstAnswer, performance.now() - started)
      status = res.statusCode
      await new Promise((resolve) => setTimeout(resolve, 100))
      probing = false
      await prober
      worstProbe = Math.max(worstProbe, longest)
    }
    console.log(
      `${body.name.padEnd(42)} ${(size / MIB).toFixed(1).padStart(5)} MiB -> ${status}  answered in ${worstAnswer.toFixed(0).padStart(6)} ms  longest /health wait ${worstProbe.toFixed(0).padStart(6)} ms`,
    )
  }
  await Promise.all([sender.close(), probe.close()])
  await stopAll()
}

runBench(main)
