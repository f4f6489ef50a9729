import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { loadResultsFile } from '../results/load-results-file.js'
import { renderHtmlReport } from '../report/html/render-html-report.js'
import { processIo, type CliIo } from './compare-command.js'
import { checkOutputFolder, prepareOutputFolder } from './output-folder.js'

// `loadlab report <results.json> [--out DIR]`: renders index.html again from a stored result
// (after an upgrade of LoadLab, or for a results.json that came from CI). It reads only the
// file; it runs nothing. Exit codes follow compare-command.ts: an unreadable or invalid file
// throws ResultsFileError (exit 2) whose message names the file and the problem.

/**
 * Renders the HTML report of `resultsFile` into `outDir` (default: beside the file); returns the
 * page's path. An --out other than the results file's own folder follows the rules of every
 * --out (output-folder.ts): new or empty, or an earlier LoadLab output replaced with `force`.
 */
export async function runReport(resultsFile: string, outDir: string | undefined, io: CliIo = processIo, force = false): Promise<string> {
  const home = path.dirname(path.resolve(resultsFile))
  const out = outDir === undefined ? null : checkOutputFolder(outDir, { flag: '--out', force, alwaysAllowed: existsSync(home) ? home : undefined })
  const suite = loadResultsFile(resultsFile)
  if (out) prepareOutputFolder(out, 'report')
  const dir = out?.dir ?? home
  const page = path.join(dir, 'index.html')
  await writeFile(page, renderHtmlReport(suite))
  io.out(`report: ${page}\n`)
  return page
}

export function registerReportCommand(program: Command, io: CliIo = processIo): void {
  program
    .command('report')
    .description('render the HTML report (index.html) of a results.json again')
    .argument('<results.json>', 'results file written by `loadlab run`')
    .option('--out <dir>', 'folder for index.html, new or empty (default: the folder of the results file)')
    .option('--force', 'replace --out when it holds an earlier LoadLab output')
    .action(async (file: string, opts: { out?: string; force?: boolean }) => {
      await runReport(file, opts.out, io, opts.force ?? false)
    })
}
