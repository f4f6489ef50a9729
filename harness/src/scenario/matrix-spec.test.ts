import { describe, expect, expectTypeOf, it } from 'vitest'
import { MATRIX_PATHS, type MatrixPath } from './matrix-paths.js'
import type { MatrixSpec } from './scenario.js'

// A scenario's matrix is typed by path: an editor completes its keys and values, and
// `npm run typecheck` refuses a misspelt path or a name the CRM contract does not list in a
// scenario file. (The `@ts-expect-error` lines fail the typecheck if they ever compile.)

describe('the matrix type of a scenario', () => {
  it('has exactly the matrix paths as keys, and target (a scenario that runs against your own service)', () => {
    expectTypeOf<keyof MatrixSpec>().toEqualTypeOf<MatrixPath | 'target'>()
    const all: MatrixSpec = Object.fromEntries(MATRIX_PATHS.map((p) => [p, []]))
    expect(Object.keys(all)).toEqual([...MATRIX_PATHS])
  })

  it('takes each path’s own values and refuses others', () => {
    const ok: MatrixSpec = {
      'cache.strategy': ['none', 'lru', 'memcached'],
      replicas: [1, 2],
      'balancer.implementation': ['haproxy'],
      durability: ['always'],
      'sync.strategy': ['sync-call', 'queue-push'],
      'resources.replica.cpus': [0.5, 1],
      'emulation.shard.serviceTime': ['off', 'constant:2'],
    }
    const versions: MatrixSpec = { target: ['http://127.0.0.1:8080', 'http://127.0.0.1:8081'] }
    // @ts-expect-error a misspelt path
    const misspelt: MatrixSpec = { 'cache.stratgy': ['lru'] }
    // @ts-expect-error a cache strategy the contract does not list
    const unknownName: MatrixSpec = { 'cache.strategy': ['lru', 'mru'] }
    // @ts-expect-error a count given as text
    const wrongType: MatrixSpec = { replicas: ['2'] }
    // @ts-expect-error a sync strategy the contract does not list
    const unknownSync: MatrixSpec = { 'sync.strategy': ['two-phase-commit'] }
    // @ts-expect-error a balancer implementation the contract does not list
    const unknownImplementation: MatrixSpec = { 'balancer.implementation': ['envoy'] }
    // @ts-expect-error a service time given as a number
    const serviceTimeNumber: MatrixSpec = { 'emulation.shard.serviceTime': [2] }
    // @ts-expect-error a former spelling: files still load with it (and a note), but the editor asks for the current one
    const former: MatrixSpec = { 'capacity.shard.serviceTime': ['off'] }
    expect([ok, versions, misspelt, unknownName, wrongType, unknownSync, unknownImplementation, serviceTimeNumber, former]).toHaveLength(9)
  })
})
