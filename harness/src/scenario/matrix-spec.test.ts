import { describe, expect, expectTypeOf, it } from 'vitest'
import { MATRIX_PATHS, type MatrixPath } from './matrix-paths.js'
import type { MatrixSpec } from './scenario.js'

// A scenario's matrix is typed by path: an editor completes its keys and values, and
// `npm run typecheck` refuses a misspelt path or a name the CRM contract does not list in a
// scenario file. (The `@ts-expect-error` lines fail the typecheck if they ever compile.)

describe('the matrix type of a scenario', () => {
  it('has exactly the matrix paths as keys', () => {
    expectTypeOf<keyof MatrixSpec>().toEqualTypeOf<MatrixPath>()
    const all: MatrixSpec = Object.fromEntries(MATRIX_PATHS.map((p) => [p, []]))
    expect(Object.keys(all)).toEqual([...MATRIX_PATHS])
  })

  it('takes each path’s own values and refuses others', () => {
    const ok: MatrixSpec = { 'cache.strategy': ['none', 'lru'], replicas: [1, 2], 'balancer.engine': ['haproxy'], durability: ['always'] }
    // @ts-expect-error a misspelt path
    const misspelt: MatrixSpec = { 'cache.stratgy': ['lru'] }
    // @ts-expect-error a cache strategy the contract does not list
    const unknownName: MatrixSpec = { 'cache.strategy': ['lru', 'mru'] }
    // @ts-expect-error a count given as text
    const wrongType: MatrixSpec = { replicas: ['2'] }
    expect([ok, misspelt, unknownName, wrongType]).toHaveLength(4)
  })
})
