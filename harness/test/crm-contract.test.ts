import { CHOICE_KINDS } from '#crm-contract'
import { describe, expect, it } from 'vitest'
import { programsTheStrategiesNeed } from '../src/cli/doctor-command.js'
import { describeComparedChoices } from '../src/report/html/describe-run.js'
import type { RunResult } from '../src/results/results-schema.js'
import { topologySchema } from '../src/scenario/scenario-schema.js'

// The harness learns the CRM service's strategies from its contract: scenario validation, `doctor`
// and the report take every name from there, so a strategy added to the service needs no
// harness edit. These tests read the contract's lists, not a copy of them.

/** `{cache: {strategy: value}}` for the field `cache.strategy`. */
function topologyWith(field: string, value: string): Record<string, unknown> {
  return field
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>
}

describe('the harness side of the CRM contract', () => {
  it('a scenario accepts every name the contract lists, at its topology field', () => {
    for (const kind of CHOICE_KINDS) {
      for (const name of kind.names) {
        const parsed = topologySchema.safeParse(topologyWith(kind.field, name))
        expect(parsed.success, `${kind.field}: ${name}`).toBe(true)
      }
    }
  })

  it('a scenario refuses a name the contract does not list, and lists the ones it does', () => {
    for (const kind of CHOICE_KINDS) {
      const parsed = topologySchema.safeParse(topologyWith(kind.field, 'no-such-strategy'))
      expect(parsed.success, kind.field).toBe(false)
      expect(JSON.stringify(parsed.error?.issues), kind.field).toContain(kind.names[kind.names.length - 1])
    }
  })

  it('doctor checks every program a strategy requires, and says which choices it enables', () => {
    const needs = programsTheStrategiesNeed()
    const expected = CHOICE_KINDS.flatMap((k) => k.names.map((n) => k.info[n]?.requires?.program)).filter((p) => p !== undefined)
    expect(needs.map((n) => n.program).sort()).toEqual([...new Set(expected)].sort())
    expect(needs.find((n) => n.program === 'redis-server')?.enables).toEqual(['cache strategy "redis"'])
    expect(needs.find((n) => n.program === 'haproxy')?.enables).toEqual(['balancer implementation "haproxy"'])
  })

  it('the report explains each compared strategy in the contract’s words', () => {
    const runs = [
      { cell: { 'cache.strategy': 'lru' } },
      { cell: { 'cache.strategy': 'none' } },
      { cell: { 'cache.strategy': 'lru' } },
    ] as unknown as RunResult[]
    const cache = CHOICE_KINDS.find((k) => k.field === 'cache.strategy')
    expect(describeComparedChoices(runs)).toEqual([
      { kind: 'cache strategy', name: 'lru', about: cache?.info.lru?.about },
      { kind: 'cache strategy', name: 'none', about: cache?.info.none?.about },
    ])
  })
})
