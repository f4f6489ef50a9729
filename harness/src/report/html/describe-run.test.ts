import { describe, expect, it } from 'vitest'
import type { TopologyInfo } from '../../results/results-schema.js'
import { describeTopology } from './describe-run.js'

const base: TopologyInfo = {
  environment: 'local',
  replicas: 2,
  shards: 2,
  balancer: { strategy: 'least-connections', engine: 'haproxy' },
  partition: 'hash',
  cache: { strategy: 'none', size: 0, ttlMs: 0, writePolicy: 'invalidate' },
  store: 'embedded',
  capacity: null,
}

describe('describeTopology', () => {
  it("names a containers run's limits, link conditions and where its images came from", () => {
    const t: TopologyInfo = {
      ...base,
      environment: 'containers',
      containers: {
        runId: 'r',
        network: 'host',
        images: { crm: { name: 'loadlab/crm:1', source: 'local' }, redis: { name: 'redis:7-bookworm', source: 'official' } },
        resources: { replica: { cpus: 0.5, memoryMb: 256 }, redis: { memoryMb: 128 } },
        proxiedLinks: ['replica-1 -> redis'],
        linkConditions: { 'replicas -> redis': { latencyMs: 2, jitterMs: 1 } },
      },
    }
    expect(describeTopology(t)).toBe(
      '2 replicas behind least-connections (haproxy), 2 hash shards (embedded), no cache, containers: replica 0.5 CPU 256 MB; redis 128 MB; replicas -> redis +2 ms ±1 ms; local and official images',
    )
    expect(describeTopology(base)).toMatch(/, local$/)
  })
})
