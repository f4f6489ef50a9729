import { describe, expect, it } from 'vitest'
import { asSchemaVersion1, makeSuiteResult } from '../../test/fixtures/suite-fixtures.js'
import { parseSuiteResult, ResultsFileError } from './load-results-file.js'
import { RESULTS_SCHEMA_VERSION, type SuiteResult } from './results-schema.js'

/** A current suite with every per-second field the version-1 migration renames: points, faults and sync lag. */
function suiteWithEverySeries(): SuiteResult {
  const suite = makeSuiteResult({
    runs: [
      { cell: { cache: 'lru' }, seed: 1, durationS: 6 },
      { cell: { cache: 'lru' }, seed: 2, durationS: 6, repetition: 2 },
    ],
  })
  suite.runs[0]!.faults = [
    { elapsedS: 1.5, at: '2026-01-01T00:00:01.500Z', action: 'kill', member: 'replica-1', ok: true },
    { elapsedS: 4, at: '2026-01-01T00:00:04.000Z', action: 'restart', member: 'replica-1', ok: true },
  ]
  suite.runs[0]!.sync = {
    strategy: 'queue-push',
    broker: 'rabbitmq',
    lag: [
      { elapsedS: 0, acks: 3, p50: 20, p95: 40, max: 45 },
      { elapsedS: 2, acks: 1, p50: 30, p95: 30, max: 30 },
    ],
    backlog: [0, 1, 0],
    drainS: 0.4,
    recoveryS: null,
    missingSample: [],
  }
  return suite
}

describe('parseSuiteResult', () => {
  it('reads a results.json of schema version 1 as the same results in the current version (t -> elapsedS)', () => {
    const current = suiteWithEverySeries()
    const old = asSchemaVersion1(current)
    const before = JSON.stringify(old)
    expect(JSON.stringify(old)).toMatch(/"timeSeries":\[\{"t":0,/)

    const read = parseSuiteResult(JSON.parse(before), 'baseline.json')

    expect(read.schemaVersion).toBe(RESULTS_SCHEMA_VERSION)
    expect(read).toEqual(current)
    expect(read.runs[0]!.timeSeries.map((p) => p.elapsedS)).toEqual([0, 1, 2, 3, 4, 5])
    expect(read.runs[0]!.faults.map((f) => f.elapsedS)).toEqual([1.5, 4])
    expect(read.runs[0]!.sync?.lag.map((p) => p.elapsedS)).toEqual([0, 2])
    // The caller's object is left as it was.
    expect(JSON.stringify(old)).toBe(before)
  })

  it('reads a current file as it is', () => {
    const current = suiteWithEverySeries()
    expect(parseSuiteResult(JSON.parse(JSON.stringify(current)), 'results.json')).toEqual(current)
  })

  it('still validates a version-1 file after migrating it, naming the field', () => {
    const old = asSchemaVersion1(suiteWithEverySeries()) as { runs: Array<{ timeSeries: Array<{ t: unknown }> }> }
    old.runs[1]!.timeSeries[2]!.t = 'soon'
    expect(() => parseSuiteResult(old, 'baseline.json')).toThrow(/^baseline\.json: runs\[1\]\.timeSeries\[2\]\.elapsedS: .*number/)
  })

  it('refuses a file of an unknown (future) version, naming the versions it reads', () => {
    const future = { ...makeSuiteResult(), schemaVersion: 9 }
    expect(() => parseSuiteResult(future, 'v9.json')).toThrow(ResultsFileError)
    expect(() => parseSuiteResult(future, 'v9.json')).toThrow(
      `v9.json: schemaVersion 9 is not ${RESULTS_SCHEMA_VERSION} (this LoadLab reads versions 1 and ${RESULTS_SCHEMA_VERSION}); re-run the scenario with this LoadLab version or use the matching version to compare`,
    )
  })
})
