import { describe, expect, it } from 'vitest'
import { compare, parseThreshold, parseThresholds, ThresholdSyntaxError } from './threshold-expression.js'

describe('parseThresholds (k6 grammar)', () => {
  it('parses every short form a k6 user writes', () => {
    const parsed = parseThresholds({
      http_req_duration: ['p(95)<50', 'p(99.9) <= 200', 'avg<100', 'med>=1', 'min>0', 'max!=0'],
      'http_req_duration{op:get_customer}': ['p(95)<50'],
      http_req_failed: ['rate<0.01'],
      availability: ['rate>0.999'],
      http_reqs: ['count>10', 'rate>=100'],
      lost_writes: ['count==0'],
    })
    expect(parsed).toHaveLength(12)
    expect(parsed[1]).toMatchObject({ stat: { kind: 'p', percentile: 99.9 }, operator: '<=', limit: 200, expression: 'p(99.9) <= 200' })
    expect(parsed[6]).toMatchObject({ name: 'http_req_duration', tags: { op: 'get_customer' }, metricKey: 'http_req_duration{op:get_customer}' })
    expect(parsed[11]).toMatchObject({ stat: { kind: 'count' }, operator: '==', limit: 0 })
  })

  it('parses the long form with abortOnFail and delayAbortEval', () => {
    const [t] = parseThresholds({ http_req_failed: [{ threshold: 'rate<0.05', abortOnFail: true, delayAbortEval: '10s' }] })
    expect(t).toMatchObject({ abortOnFail: true, delayAbortEvalS: 10, limit: 0.05 })
  })

  it('parses several tags, including run selectors', () => {
    const t = parseThreshold('http_req_duration{op:search_customers, cache:lru}', 'p(99)<300')
    expect(t.tags).toEqual({ op: 'search_customers', cache: 'lru' })
  })

  it.each([
    ['http_req_duration', 'p95<50', /not a threshold expression.*p\(95\)<200/],
    ['http_req_duration', 'p(95)=<50', /not a threshold expression/],
    ['http_req_duration', 'p(95)<', /not a threshold expression/],
    ['http_req_duration', 'p(101)<5', /out of range/],
    ['http_req_duration', 'rate<0.1', /trend metric; allowed: avg, min, med, max, p\(N\)/],
    ['http_req_failed', 'p(95)<0.1', /rate metric; allowed: rate/],
    ['http_reqs', 'avg>1', /counter metric; allowed: count, rate/],
    ['http_req_duration{op}', 'p(95)<1', /bad tag "op"/],
    ['http req duration', 'p(95)<1', /metric key must be a name/],
  ])('rejects %s: %s naming key, expression and what is allowed', (key, expr, message) => {
    let err: unknown
    try {
      parseThresholds({ [key]: [expr] })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ThresholdSyntaxError)
    expect((err as Error).message).toContain(key)
    expect((err as Error).message).toContain(expr)
    expect((err as Error).message).toMatch(message)
  })

  it('rejects a bad long form and a non-array value', () => {
    expect(() => parseThresholds({ http_req_failed: [{ threshold: 'rate<0.1', abortOnFail: 'yes' } as never] })).toThrow(/abortOnFail/)
    expect(() => parseThresholds({ http_req_failed: [{ threshold: 'rate<0.1', delayAbortEval: 'soon' }] })).toThrow(/delayAbortEval/)
    expect(() => parseThresholds({ http_req_failed: 'rate<0.1' as never })).toThrow(/must be an array/)
  })

  it('leaves unknown metric names to evaluation (reported there as errors)', () => {
    expect(parseThresholds({ made_up: ['count>1'] })[0]!.name).toBe('made_up')
  })

  it('compares with every operator', () => {
    expect([compare(1, '<', 2), compare(2, '<=', 2), compare(3, '>', 2), compare(2, '>=', 2), compare(2, '==', 2), compare(1, '!=', 2)]).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ])
    expect([compare(2, '<', 2), compare(3, '<=', 2), compare(2, '>', 2), compare(1, '>=', 2), compare(1, '==', 2), compare(2, '!=', 2)]).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ])
  })
})
