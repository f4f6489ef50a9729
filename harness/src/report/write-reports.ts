import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { SuiteResult } from '../results/results-schema.js'
import { renderHtmlReport } from './html/render-html-report.js'
import { renderJunit } from './junit-report.js'
import { renderMarkdownSummary } from './markdown-summary.js'

export const REPORT_FILES = ['results.json', 'index.html', 'junit.xml', 'summary.md'] as const
export type ReportFile = (typeof REPORT_FILES)[number]

const RENDERERS: Record<ReportFile, (suite: SuiteResult) => string> = {
  'results.json': (suite) => `${JSON.stringify(suite, null, 2)}\n`,
  'index.html': renderHtmlReport,
  'junit.xml': renderJunit,
  'summary.md': renderMarkdownSummary,
}

/**
 * Writes the reports of a (possibly partial) suite into `dir`: results.json first, so it exists
 * even if a renderer fails. Each file is written to a temporary name and renamed, so a reader
 * never sees half a file. Called by the runner after each run (results.json only) and at the end
 * (all of them). Returns file -> absolute path of what was written; a renderer that throws is
 * reported on stderr and its file skipped, the others are still written.
 */
export async function writeReports(
  suite: SuiteResult,
  dir: string,
  opts: { only?: readonly ReportFile[] } = {},
): Promise<Partial<Record<ReportFile, string>>> {
  await mkdir(dir, { recursive: true })
  const written: Partial<Record<ReportFile, string>> = {}
  for (const file of opts.only ?? REPORT_FILES) {
    const target = path.resolve(dir, file)
    let text: string
    try {
      text = RENDERERS[file](suite)
    } catch (error) {
      process.stderr.write(`loadlab: could not render ${file}: ${error instanceof Error ? error.message : String(error)}\n`)
      continue
    }
    const tmp = `${target}.tmp-${process.pid}`
    await writeFile(tmp, text)
    await rename(tmp, target)
    written[file] = target
  }
  return written
}
