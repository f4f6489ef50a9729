import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { SuiteResult } from '../results/results-schema.js'
import type { Reporter } from '../runner/reporter.js'

export interface FileReport {
  /** The file's name in the output folder: "index.html". */
  file: string
  /** Called with the finished suite (and, with `everyRun`, the suite so far after each run). */
  render(suite: SuiteResult): string
  /** Rewrite the file after each run too, so a hard kill loses at most the run in progress. */
  everyRun?: boolean
}

/**
 * A report that is one file in the output folder (results.json, index.html, junit.xml, summary.md),
 * written at the end of the suite. The file is written under a temporary name and renamed, so a
 * reader never sees half a file; a renderer that throws leaves the other reports alone (the runner
 * hands the error to the CLI, which prints it).
 */
export class FileReporter implements Reporter {
  private writtenTo: string | null = null

  constructor(
    readonly name: string,
    private readonly report: FileReport,
    private readonly dir: string,
  ) {}

  /** The absolute path once the file has been written, else null. */
  get written(): string | null {
    return this.writtenTo
  }

  get file(): string {
    return this.report.file
  }

  async onRunEnd(_result: unknown, suite: SuiteResult): Promise<void> {
    if (this.report.everyRun) await this.write(suite)
  }

  async onEnd(suite: SuiteResult): Promise<void> {
    await this.write(suite)
  }

  private async write(suite: SuiteResult): Promise<void> {
    let text: string
    try {
      text = this.report.render(suite)
    } catch (error) {
      throw new Error(`could not render ${this.report.file}: ${error instanceof Error ? error.message : String(error)}`)
    }
    await mkdir(this.dir, { recursive: true })
    const target = path.resolve(this.dir, this.report.file)
    const tmp = `${target}.tmp-${process.pid}`
    await writeFile(tmp, text)
    await rename(tmp, target)
    this.writtenTo = target
  }
}
