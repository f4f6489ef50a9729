import autocannon from 'autocannon'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { spawnListening, spawnRole, stopAll, type SpawnedRole } from '../test/support/sut-processes.js'
const ticks = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]) }
const B = fileURLToPath(new URL('./tmp-dist-b/main.js', import.meta.url))
const shard = await spawnRole('shard', ['--port', '0'])
const args = ['--port', '0', '--shards', shard.url, '--partition', 'single', '--cache', 'lru']
const variants: [string, SpawnedRole][] = [
  ['with-cap', await spawnListening('a', [B, 'replica', ...args], { env: { ...process.env, NO_CAP: '0' } })],
  ['no-cap', await spawnListening('b', [B, 'replica', ...args], { env: { ...process.env, NO_CAP: '1' } })],
]
const c = await fetch(`${variants[0][1].url}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'a@x.io', company: 'C', segment: 'smb' }) }).then((r) => r.json()) as { id: string }
const tot: Record<string, number[]> = {}
for (let round = 0; round < 4; round++) {
  for (const [name, p] of variants) {
    const url = `${p.url}/customers/${c.id}`
    await fetch(url).then((r) => r.text())
    const before = ticks(p.process.pid!)
    const r = await autocannon({ url, connections: 50, amount: 15000 })
    const us = ((ticks(p.process.pid!) - before) * 10 * 1000) / 15000
    ;(tot[name] ??= []).push(us)
    console.log(name, `${us.toFixed(1)} us CPU/req`, `${r.requests.average} req/s`)
  }
}
for (const [k, v] of Object.entries(tot)) console.log(k, 'mean', (v.reduce((a, b) => a + b) / v.length).toFixed(1))
await stopAll()
