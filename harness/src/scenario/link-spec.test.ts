import { describe, expect, it } from 'vitest'
import { linkMatches, parseLink, type LinkSpec } from './link-spec.js'

describe('parseLink', () => {
  it('reads one link, a group and the balancer side', () => {
    expect(parseLink('replica-1 -> shard-0')).toEqual({ text: 'replica-1 -> shard-0', from: { role: 'replica', index: 1 }, to: { role: 'shard', index: 0 } })
    expect((parseLink('replicas->redis') as LinkSpec).text).toBe('replicas -> redis')
    expect((parseLink(' balancer  ->  replica-2 ') as LinkSpec).to).toEqual({ role: 'replica', index: 2 })
  })

  it('says how to write a link when it is not one', () => {
    expect(parseLink('replica-1 to shard-0')).toMatch(/^not a link: write <from> -> <to>/)
    expect(parseLink('replica-1 -> db')).toMatch(/"db" is not a member/)
    expect(parseLink('replicas -> memcached')).toMatch(/links to memcached do not run through Toxiproxy.*container faults/)
    expect(parseLink('replica-0 -> shard-0')).toMatch(/replicas count from 1/)
  })

  it('refuses links the topology does not have, naming the ones it has', () => {
    expect(parseLink('shard-0 -> replica-1')).toMatch(/no link from shard-0 to replica-1; links go replica -> shard, replica -> redis and balancer -> replica/)
    expect(parseLink('balancer -> redis')).toMatch(/no link from balancer to redis/)
  })
})

describe('linkMatches', () => {
  const spec = (text: string) => parseLink(text) as LinkSpec
  it('matches one link exactly, and a group every member of its role', () => {
    expect(linkMatches(spec('replica-1 -> shard-0'), 'replica-1', 'shard-0')).toBe(true)
    expect(linkMatches(spec('replica-1 -> shard-0'), 'replica-1', 'shard-1')).toBe(false)
    expect(linkMatches(spec('replica-1 -> shard-0'), 'replica-11', 'shard-0')).toBe(false)
    expect(linkMatches(spec('replicas -> redis'), 'replica-3', 'redis')).toBe(true)
    expect(linkMatches(spec('replicas -> shards'), 'replica-2', 'shard-1')).toBe(true)
    expect(linkMatches(spec('replicas -> shards'), 'balancer', 'shard-1')).toBe(false)
  })
})
