import { describe, expect, it } from 'vitest'
import { customerIdTimeMs, newChildId, newCustomerId } from './customer-id.js'

describe('customer ids', () => {
  it('reads back the creation time', () => {
    const t = Date.UTC(2026, 0, 15, 8, 30, 12, 345)
    const id = newCustomerId(t)
    expect(id).toMatch(/^cus_[0-9a-z]{26}$/)
    expect(customerIdTimeMs(id)).toBe(t)
  })

  it('sorts as strings in creation order, also within one millisecond', () => {
    const times = [0, 1, 1, 1, 1_000_000, Date.UTC(2025, 5, 1), Date.UTC(2026, 10, 22), Date.UTC(2026, 10, 22)]
    const ids = times.map((t) => newCustomerId(t))
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('makes 10k unique ids in the same millisecond, in order', () => {
    const ids = Array.from({ length: 10_000 }, () => newCustomerId(1_700_000_000_000))
    expect(new Set(ids).size).toBe(10_000)
    expect([...ids].sort()).toEqual(ids)
  })

  it('returns null for what is not a customer id', () => {
    for (const bad of [
      '',
      'cus_',
      'email:a@b.c',
      'con_01jd0000000000000000000000',
      'cus_01JD0000000000000000000000',
      'cus_01jd00000000000000000000u0',
      'cus_01jd000000000000000000000',
    ]) {
      expect(customerIdTimeMs(bad)).toBeNull()
    }
  })

  it('prefixes child ids by kind and orders them by time', () => {
    const a = newChildId('con', 1000)
    const b = newChildId('deal', 2000)
    const c = newChildId('act', 3000)
    expect(a.startsWith('con_')).toBe(true)
    expect(b.startsWith('deal_')).toBe(true)
    expect(c.startsWith('act_')).toBe(true)
    expect(newChildId('act', 3001) > c).toBe(true)
  })

  it('refuses a time it cannot encode', () => {
    expect(() => newCustomerId(-1)).toThrow(RangeError)
    expect(() => newCustomerId(1.5)).toThrow(RangeError)
  })
})
