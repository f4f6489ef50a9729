import { describe, expect, it } from 'vitest'
import { ValidationError } from './domain-errors.js'
import { decodeSearchCursor, encodeSearchCursor } from './search-cursor.js'

describe('search cursor', () => {
  it('round-trips a position, including unicode names', () => {
    const position = { nameKey: 'zoë & co ✓', id: 'cus_01m80m9pw672x6pwdrj3qda0h8' }
    const cursor = encodeSearchCursor(position)
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeSearchCursor(cursor)).toEqual(position)
  })

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['wrong shape', Buffer.from(JSON.stringify({ n: 1, i: 'x' })).toString('base64url')],
    ['extra fields', Buffer.from(JSON.stringify({ n: 'a', i: 'x', admin: true })).toString('base64url')],
    ['empty id', Buffer.from(JSON.stringify({ n: 'a', i: '' })).toString('base64url')],
    ['too long', 'a'.repeat(5000)],
  ])('refuses a cursor that is %s with a ValidationError naming the cursor', (_why, cursor) => {
    let caught: unknown
    try {
      decodeSearchCursor(cursor)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ValidationError)
    expect((caught as ValidationError).details).toEqual([{ field: 'cursor', message: 'not a cursor returned by this API' }])
  })
})
