import { describe, expect, it } from 'vitest'
import { must } from './must.js'

describe('must', () => {
  it('returns a present value, falsy ones included', () => {
    expect(must(0, 'a count')).toBe(0)
    expect(must('', 'a name')).toBe('')
    expect(must(null, 'a slot')).toBeNull()
  })

  it('throws an error naming what was missing', () => {
    expect(() => must([1, 2][5], 'the fifth point')).toThrow('internal error: the fifth point')
  })
})
