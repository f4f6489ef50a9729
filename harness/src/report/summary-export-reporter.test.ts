import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { evaluateGates } from '../gates/evaluate-gates.js'
import { Reporters, type ReporterFailure } from '../runner/reporter.js'
import { makeSuiteResult } from '../../test/fixtures/suite-fixtures.js'
import { k6SummaryExport } from './k6-summary-export.js'
import { createReporters, DEFAULT_REPORTERS, REPORTER_NAMES } from './reporter-registry.js'
import { SummaryExportReporter } from './summary-export-reporter.js'

const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-summary-export-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const suite = makeSuiteResult({ runs: [{ rps: 100, durationS: 5, errorRate: 0.05 }], thresholds: { http_req_failed: ['rate<0.01'] } })
suite.gates = evaluateGates(suite, {})
const k6Text = `${JSON.stringify(k6SummaryExport(suite), null, 4)}\n`

/** The reporters `loadlab run` builds for these extra names, told the suite ended; with the failures they reported. */
async function endSuite(extra: string[], options: { outDir: string; summaryExport?: string }) {
  // The console reporter (a default) prints into the void.
  const list = await createReporters(extra, { ...options, out: new PassThrough(), progress: new PassThrough() })
  const failures: ReporterFailure[] = []
  await new Reporters(list, (f) => failures.push(f)).emit('onEnd', suite)
  return { list, failures }
}

describe('the summary-export reporter', () => {
  it('is a built-in reporter by name, not one every run has', () => {
    expect(REPORTER_NAMES).toContain('summary-export')
    expect(DEFAULT_REPORTERS).not.toContain('summary-export')
  })

  it('writes k6 summary-export JSON to the file --summary-export names, at the end of the suite', async () => {
    const file = path.join(dir, 'ci', 'k6.json')
    const { list, failures } = await endSuite(['summary-export'], { outDir: path.join(dir, 'out-named'), summaryExport: file })
    expect(failures).toEqual([])
    const exporter = list.find((r) => r instanceof SummaryExportReporter)
    expect(exporter?.written).toBe(file)
    expect(readFileSync(file, 'utf8')).toBe(k6Text)
    expect(JSON.parse(readFileSync(file, 'utf8')).metrics.http_req_failed.thresholds).toEqual({ 'rate<0.01': true })
  })

  it('writes summary-export.json into the output folder when chosen with --reporter alone', async () => {
    const outDir = path.join(dir, 'out-default')
    const { failures } = await endSuite(['summary-export'], { outDir })
    expect(failures).toEqual([])
    expect(readFileSync(path.join(outDir, 'summary-export.json'), 'utf8')).toBe(k6Text)
  })

  it('reports a file it cannot write as its own failure and leaves the other reports alone', async () => {
    const blocker = path.join(dir, 'a-file')
    writeFileSync(blocker, '')
    const outDir = path.join(dir, 'out-failing')
    const { list, failures } = await endSuite(['summary-export'], { outDir, summaryExport: path.join(blocker, 'k6.json') })
    expect(failures.map((f) => [f.reporter, f.hook])).toEqual([['summary-export', 'onEnd']])
    expect(String(failures[0]!.error)).toMatch(/EEXIST|ENOTDIR/)
    expect(list.find((r) => r instanceof SummaryExportReporter)?.written).toBeNull()
    expect(JSON.parse(readFileSync(path.join(outDir, 'results.json'), 'utf8')).schemaVersion).toBe(suite.schemaVersion)
  })
})
