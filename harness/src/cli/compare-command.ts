import { writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { BASELINE_METRICS, compareToBaseline, DEFAULT_TOLERANCE, type BaselineGate } from '../gates/baseline.js'
import { loadBaselineSource } from '../gates/baseline-source.js'
import { loadResultsFile } from '../results/load-results-file.js'
import type { BaselineChange, ChangeOutcome } from '../results/results-schema.js'
import { escapeMarkdown } from '../report/markdown-summary.js'
import { showInvisibles } from '../report/visible-text.js'
import { checkOutputFolder, prepareOutputFolder } from './output-folder.js'

// `loadlab compare <baseline.json> <current.json> [--tolerance 0.05] [--out DIR]`
//
// EXIT-CODE CONVENTION of this file and capacity-commands.ts (read by the root program in
// loadlab.ts): command handlers never call process.exit and never set process.exitCode. A
// non-zero outcome is THROWN as a `CliExit` (or another error with a numeric `exitCode`, such as
// ResultsFileError with 2); the root program prints its message (when non-empty) to stderr and
// exits with `exitCode`. Normal output goes through the `io` given at registration (stdout by
// default), so tests capture it without touching the process.
//   0  no regression proven (the output says which checks could not tell)
//   99 a regression beyond the tolerance (see gates/baseline.ts for the rule)
//   2  an unreadable or invalid file, or a bad flag (the message names the file or flag)

export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message)
    this.name = 'CliExit'
  }
}

export interface CliIo {
  /** Called with each chunk of normal output (stdout by default). */
  out(text: string): void
  /** Called with human-facing side notes (stderr by default). */
  err(text: string): void
}

/** The terminal: what the commands print, with control and bidi characters from result files made visible. */
export const processIo: CliIo = {
  out: (t) => void process.stdout.write(showInvisibles(t)),
  err: (t) => void process.stderr.write(showInvisibles(t)),
}

/** Parses a ratio flag like --tolerance 0.05 or --headroom 0.3; throws CliExit(2) naming the flag. */
export function parseShare(flag: string, text: string, { max = 1, allowMax = false } = {}): number {
  const r = z.coerce.number().finite().min(0).safeParse(text)
  if (!r.success || r.data > max || (!allowMax && r.data === max) || text.trim() === '') {
    throw new CliExit(2, `${flag} ${JSON.stringify(text)}: give a share between 0 and ${max}${allowMax ? '' : ' (exclusive)'}, e.g. 0.05 for 5%`)
  }
  return r.data
}

function fmtValue(metric: string, v: number): string {
  if (metric === 'error_rate') return `${(v * 100).toFixed(2)}%`
  if (metric === 'rps') return `${v.toFixed(1)} req/s`
  return `${v.toFixed(2)} ms`
}

const OUTCOME_WORDS: Record<ChangeOutcome, string> = {
  regression: 'REGRESSION',
  worse: 'worse',
  improved: 'better',
  'within-tolerance': 'no change beyond tolerance',
  inconclusive: 'cannot tell',
  'cannot-tell': 'cannot tell',
}

function runsText(c: BaselineChange): string {
  return c.runs ? `${c.runs.baseline} vs ${c.runs.current} runs` : ''
}

/** Plain-text report of a comparison, one line per cell and metric, then the outcome in words. */
export function formatComparison(gate: BaselineGate, baselineFile: string, currentFile: string): string {
  const history = gate.history ? ` (history: ${gate.history.runs} runs in ${gate.history.files} results)` : ''
  const lines = [`compare ${baselineFile} (baseline${history}) -> ${currentFile} (current), tolerance ${(gate.tolerance * 100).toFixed(1)}%`]
  if (gate.changes.length === 0) lines.push('no cell of the current results exists in the baseline: nothing to compare (cell labels must match)')
  const width = Math.max(4, ...gate.changes.map((c) => c.cellLabel.length))
  for (const c of gate.changes) {
    const words = c.outcome ? OUTCOME_WORDS[c.outcome] : c.regression ? 'REGRESSION' : ''
    lines.push(
      `  ${words.padEnd(26)} ${c.cellLabel.padEnd(width)}  ${fmtValue(c.metric, c.baseline).padStart(13)} -> ${fmtValue(c.metric, c.current).padStart(13)}  ${runsText(c).padEnd(14)} ${c.text ?? ''}`,
    )
  }
  for (const note of gate.notes ?? []) lines.push(`  note: ${note}`)
  const regressions = gate.changes.filter((c) => c.regression)
  const unsure = gate.changes.filter((c) => c.outcome === 'cannot-tell' || c.outcome === 'inconclusive')
  if (regressions.length > 0) lines.push(`${regressions.length} regression${regressions.length === 1 ? '' : 's'} beyond the tolerance`)
  else if (!gate.passed) lines.push('the comparison failed')
  else if (unsure.length === gate.changes.length)
    lines.push(
      `cannot tell: ${unsure.some((c) => c.noInterval) ? `${unsure.find((c) => c.noInterval)!.noInterval}; ` : ''}repeat the runs (2 or more per side), or compare against a folder of earlier results`,
    )
  else if (unsure.length > 0) lines.push(`no regression proven, but ${unsure.length} of ${gate.changes.length} checks cannot tell`)
  else lines.push('no regression beyond the tolerance')
  return `${lines.join('\n')}\n`
}

function markdown(gate: BaselineGate, baselineFile: string, currentFile: string): string {
  const rows = gate.changes.map(
    (c) =>
      `| ${c.regression ? '❌' : c.outcome === 'cannot-tell' || c.outcome === 'inconclusive' ? '?' : c.significant ? '≠' : '·'} | ${escapeMarkdown(c.cellLabel)} | ${c.metric} | ${fmtValue(c.metric, c.baseline)} | ${fmtValue(c.metric, c.current)} | ${escapeMarkdown(runsText(c))} | ${escapeMarkdown(c.text ?? '')} |`,
  )
  const unsure = gate.changes.some((c) => c.outcome === 'cannot-tell' || c.outcome === 'inconclusive')
  return [
    `## LoadLab compare: ${escapeMarkdown(baselineFile)} → ${escapeMarkdown(currentFile)}`,
    '',
    `${gate.passed ? (unsure ? '⚠️ no regression proven, some checks cannot tell' : '✅ no regression beyond the tolerance') : '❌ regression'} (tolerance ${(gate.tolerance * 100).toFixed(1)}%)`,
    '',
    '| | cell | metric | baseline | current | runs | change |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    ...(gate.notes ?? []).map((n) => `\n> ${escapeMarkdown(n)}`),
    '',
  ].join('\n')
}

export interface CompareOptions {
  tolerance: number
  out?: string
  /** Replace --out when it holds an earlier LoadLab output. */
  force?: boolean
}

/** The command's work, callable without commander: returns the gate, throws CliExit on 99/2. */
export function runCompare(baselineFile: string, currentFile: string, opts: CompareOptions, io: CliIo = processIo): BaselineGate {
  const out = opts.out === undefined ? null : checkOutputFolder(opts.out, { flag: '--out', force: opts.force })
  const baseline = loadBaselineSource(baselineFile)
  const current = loadResultsFile(currentFile)
  const gate = compareToBaseline(current, baseline, { tolerance: opts.tolerance })
  io.out(formatComparison(gate, baselineFile, currentFile))
  if (out) {
    prepareOutputFolder(out, 'compare')
    writeFileSync(
      path.join(out.dir, 'comparison.json'),
      `${JSON.stringify({ baseline: baselineFile, current: currentFile, metrics: BASELINE_METRICS, ...gate }, null, 2)}\n`,
    )
    writeFileSync(path.join(out.dir, 'comparison.md'), markdown(gate, baselineFile, currentFile))
    io.err(`wrote ${path.join(out.dir, 'comparison.json')} and comparison.md\n`)
  }
  if (!gate.passed) {
    throw new CliExit(
      99,
      gate.changes.length === 0 ? `${baselineFile} and ${currentFile} share no cell: nothing could be compared` : 'regression beyond the tolerance (see above)',
    )
  }
  return gate
}

export function registerCompareCommand(program: Command, io: CliIo = processIo): Command {
  return program
    .command('compare')
    .description('compare results metric by metric with confidence intervals; exit 99 only on a regression beyond the tolerance')
    .argument('<baseline>', 'results.json of the reference run (the old build), or a folder of earlier results.json files (a history)')
    .argument('<current>', 'results.json of the run to judge (the new build)')
    .option(
      '--tolerance <share>',
      'relative change tolerated for throughput and latency, e.g. 0.05 = 5% (error rate: tolerance/10 absolute)',
      String(DEFAULT_TOLERANCE),
    )
    .option('--out <dir>', 'also write comparison.json and comparison.md into this folder (new or empty)')
    .option('--force', 'replace --out when it holds an earlier LoadLab output')
    .action((baselineFile: string, currentFile: string, flags: { tolerance: string; out?: string; force?: boolean }) => {
      const tolerance = parseShare('--tolerance', flags.tolerance)
      runCompare(baselineFile, currentFile, { tolerance, ...(flags.out !== undefined ? { out: flags.out } : {}), force: flags.force }, io)
    })
}
