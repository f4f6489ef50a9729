import autocannon from 'autocannon'
import { readFileSync } from 'node:fs'
import { spawnListening, spawnRole, stopAll } from '../test/support/sut-processes.js'
const HELLO = `import express from 'express'
const app = express()
app.get('/', (req, res) => { res.send('Hello World!') })
const server = app.listen(0, '127.0.0.1', () => console.log('LISTENING http://127.0.0.1:' + server.address().port))`
const ticks = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]) }
const hello = await spawnListening('hello', ['--input-type=module', '-e', HELLO])
const shard = await spawnRole('shard', ['--port', '0'])
const replica = await spawnRole('replica', ['--port', '0', '--shards', shard.url, '--partition', 'single', '--cache', 'lru', ...(process.argv.slice(2))])
const c = await fetch(`${replica.url}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'a@x.io', company: 'C', segment: 'smb' }) }).then((r) => r.json()) as { id: string }
await fetch(`${replica.url}/customers/${c.id}`).then((r) => r.text())
for (let round = 0; round < 3; round++) {
  for (const [name, p, url] of [['hello', hello, hello.url + '/'], ['replica', replica, `${replica.url}/customers/${c.id}`]] as const) {
    const before = ticks(p.process.pid!)
    const r = await autocannon({ url, connections: 50, amount: 20000 })
    const cpu = (ticks(p.process.pid!) - before) * 10
    console.log(name, `${(cpu * 1000 / 20000).toFixed(1)} us CPU/req`, `${r.requests.average} req/s`)
  }
}
await stopAll()
