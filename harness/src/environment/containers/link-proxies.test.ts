import { describe, expect, it } from 'vitest'
import { topologySchema } from '../../scenario/scenario-schema.js'
import type { FaultSpec } from '../../scenario/scenario.js'
import { linksOfFault, proxiedLinks, topologyLinks, unmatchedNetworkFaults } from './link-proxies.js'

const topology = (input: object) => topologySchema.parse(input)
const names = (links: Array<{ from: string; to: string }>) => links.map((l) => `${l.from} -> ${l.to}`)

describe('which links run through Toxiproxy', () => {
  const t = topology({ replicas: 2, shards: 2, cache: { strategy: 'redis' } })

  it('knows every link of a topology', () => {
    expect(names(topologyLinks(t))).toEqual([
      'replica-1 -> shard-0',
      'replica-1 -> shard-1',
      'replica-1 -> redis',
      'replica-2 -> shard-0',
      'replica-2 -> shard-1',
      'replica-2 -> redis',
      'balancer -> replica-1',
      'balancer -> replica-2',
    ])
    expect(names(topologyLinks(topology({ replicas: 1, shards: 1 })))).toEqual(['replica-1 -> shard-0'])
  })

  it('maps a link, a group and a member to their links', () => {
    const all = topologyLinks(t)
    expect(names(linksOfFault({ link: 'replicas -> redis' }, all))).toEqual(['replica-1 -> redis', 'replica-2 -> redis'])
    expect(names(linksOfFault({ member: 'shard-1' }, all))).toEqual(['replica-1 -> shard-1', 'replica-2 -> shard-1'])
    expect(names(linksOfFault({ member: 'replica-2' }, all))).toEqual([
      'replica-2 -> shard-0',
      'replica-2 -> shard-1',
      'replica-2 -> redis',
      'balancer -> replica-2',
    ])
  })

  it('proxies only the links a network fault names; member faults add none', () => {
    const faults: FaultSpec[] = [
      { atS: 1, action: 'latency', link: 'replicas -> redis', latencyMs: 2 },
      { atS: 2, action: 'heal', link: 'replicas -> redis' },
      { atS: 3, action: 'kill', member: 'shard-0' },
    ]
    expect(names(proxiedLinks(t, faults))).toEqual(['replica-1 -> redis', 'replica-2 -> redis'])
    expect(proxiedLinks(t, [faults[2]!])).toEqual([])
  })

  it('proxies the links a standing link condition names, in cells that have them', () => {
    expect(names(proxiedLinks(topology({ replicas: 2, cache: { strategy: 'redis' }, links: { 'replicas -> redis': { latencyMs: 2 } } }), []))).toEqual([
      'replica-1 -> redis',
      'replica-2 -> redis',
    ])
    expect(proxiedLinks(topology({ replicas: 2, cache: { strategy: 'lru' }, links: { 'replicas -> redis': { latencyMs: 2 } } }), [])).toEqual([])
  })

  it('says which fault names a link this cell does not have', () => {
    const one = topology({ replicas: 1, shards: 1 })
    expect(unmatchedNetworkFaults(one, [{ atS: 4, action: 'partition', link: 'replica-3 -> shard-0' }])).toEqual([
      'fault partition at 4 s: no link of this topology matches replica-3 -> shard-0 (links: replica-1 -> shard-0)',
    ])
  })
})
