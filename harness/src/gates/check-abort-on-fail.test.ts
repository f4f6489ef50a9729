import { describe, expect, it } from 'vitest'
import { checkAbortOnFail, liveReaderFromSnapshot } from './check-abort-on-fail.js'
import { parseThresholds } from './threshold-expression.js'

describe('abortOnFail during a run', () => {
  const parsed = parseThresholds({ http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }] })

  it('aborts once the live error rate breaks the threshold, naming it', () => {
    const failing = liveReaderFromSnapshot({ rps: 100, p95: 10, requests: 1000, errors: 50, dropped: 0 })
    const decision = checkAbortOnFail(parsed, 5, failing)
    expect(decision).not.toBeNull()
    expect(JSON.stringify(decision)).toContain('rate<0.01')
  })

  it('keeps going while the error rate holds', () => {
    const fine = liveReaderFromSnapshot({ rps: 100, p95: 10, requests: 1000, errors: 2, dropped: 0 })
    expect(checkAbortOnFail(parsed, 5, fine)).toBeNull()
  })
})
