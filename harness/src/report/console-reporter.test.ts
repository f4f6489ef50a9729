import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { makeMinimalSuite } from '../../test/support/report-fixture.js'
import { ConsoleReporter } from './console-reporter.js'

function capture(): { stream: Writable; text: () => string } {
  let text = ''
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString()
      done()
    },
  })
  return { stream, text: () => text }
}

describe('ConsoleReporter', () => {
  it('after a run with a downstream, prints its sync lag, what was missing, duplicates, backlog, drain and recovery', () => {
    const run = makeMinimalSuite().runs[0]!
    run.metrics.sync_lag = { count: 10, min: 0, mean: 30, stdev: 5, p50: 25, p90: 60, p95: 75, p99: 120, p999: 120, max: 130 }
    run.metrics.sync_missing = { count: 0, checked: 40 }
    run.metrics.sync_duplicates = { count: 3 }
    run.sync = { strategy: 'queue-push', broker: 'rabbitmq', lag: [], backlog: [0, 12, 4], drainS: 1.5, recoveryS: 2, missingSample: [] }
    const progress = capture()
    new ConsoleReporter({ progress: progress.stream, out: capture().stream }).onRunEnd(run)
    expect(progress.text()).toContain(
      'sync queue-push: lag p50 25.0 ms, p95 75.0 ms, p99 120 ms; missing 0 of 40, duplicates 3, peak backlog 12, drained in 1.5 s, recovered 2 s after the last fault',
    )
  })
})
