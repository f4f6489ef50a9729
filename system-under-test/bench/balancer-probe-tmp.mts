import autocannon from 'autocannon'
import { startBalancer } from '../src/balancer/start-balancer.ts'
import { startStubBackend } from '../test/support/balancer-stub-backend.ts'
const stub = await startStubBackend()
const lb = await startBalancer({ strategy: 'round-robin', backends: [stub.url] })
for (const [name, url] of [['direct', stub.url], ['lb', lb.url]]) {
  const r = await autocannon({ url: url + '/customers/x', connections: 1, duration: 2 })
  console.log(name, 'c=1', r.requests.average, 'lat', r.latency.average)
  const r2 = await autocannon({ url: url + '/customers/x', connections: 20, duration: 2 })
  console.log(name, 'c=20', r2.requests.average, 'lat', r2.latency.average)
}
await lb.close(); await stub.close()
