import path from 'node:path'
import type { SuiteResult } from '../results/results-schema.js'
import type { Reporter } from '../runner/reporter.js'
import { writeK6SummaryExport } from './k6-summary-export.js'

/** The registry name of the k6 summary-export sink; `loadlab run --summary-export FILE` adds it. */
export const SUMMARY_EXPORT_REPORTER = 'summary-export'

/**
 * k6's summary-export JSON of the finished suite, written once at the end (k6 writes it once too),
 * to a file the user named: unlike the other reports it may sit outside the output folder. A
 * write that fails rejects onEnd like any reporter's; the CLI gives that failure its own message
 * and exit code, since the user asked for this file by name.
 */
export class SummaryExportReporter implements Reporter {
  readonly name = SUMMARY_EXPORT_REPORTER
  private writtenTo: string | null = null

  /** `file` as the user gave it; a relative path is taken from the current folder. */
  constructor(readonly file: string) {}

  /** The absolute path once the file has been written, else null. */
  get written(): string | null {
    return this.writtenTo
  }

  onEnd(suite: SuiteResult): void {
    this.writtenTo = writeK6SummaryExport(suite, this.file)
  }
}

/** The file `--reporter summary-export` writes when no `--summary-export FILE` names one. */
export function defaultSummaryExportFile(outDir: string): string {
  return path.join(outDir, 'summary-export.json')
}
