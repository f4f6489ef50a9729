import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import type { Reporter, ReporterHook } from '../runner/reporter.js'
import { ConsoleReporter } from './console-reporter.js'
import { FileReporter } from './file-reporter.js'
import { renderHtmlReport } from './html/render-html-report.js'
import { renderJunit } from './junit-report.js'
import { renderMarkdownSummary } from './markdown-summary.js'
import { defaultSummaryExportFile, SummaryExportReporter } from './summary-export-reporter.js'

// The reporters a run can have, by name (vitest style): `loadlab run` uses the defaults and adds
// what `--reporter` names, a built-in name or a module of the user's own.

export interface ReporterOptions {
  /** The run's output folder: file reporters write into it. */
  outDir: string
  /** Progress and per-run lines (default process.stderr). */
  progress?: NodeJS.WritableStream & { isTTY?: boolean }
  /** Final tables and verdict (default process.stdout). */
  out?: NodeJS.WritableStream
  /** Where the summary-export reporter writes (`--summary-export FILE`); default summary-export.json in outDir. */
  summaryExport?: string
}

const REPORTERS = {
  /** The terminal view: plan, live progress, a line per run, the table and the verdict. */
  console: (o: ReporterOptions): Reporter => new ConsoleReporter({ progress: o.progress, out: o.out }),
  /** results.json: the suite, rewritten after each run; everything after measuring reads it. */
  json: (o: ReporterOptions): Reporter =>
    new FileReporter('json', { file: 'results.json', render: (s) => `${JSON.stringify(s, null, 2)}\n`, everyRun: true }, o.outDir),
  /** index.html: the self-contained report. */
  html: (o: ReporterOptions): Reporter => new FileReporter('html', { file: 'index.html', render: renderHtmlReport }, o.outDir),
  /** junit.xml: a test case per threshold per run, for CI. */
  junit: (o: ReporterOptions): Reporter => new FileReporter('junit', { file: 'junit.xml', render: renderJunit }, o.outDir),
  /** summary.md: Markdown for a CI step summary. */
  markdown: (o: ReporterOptions): Reporter => new FileReporter('markdown', { file: 'summary.md', render: renderMarkdownSummary }, o.outDir),
  /** k6's summary-export JSON, for dashboards and scripts written for k6 (`--summary-export FILE` adds it). */
  'summary-export': (o: ReporterOptions): Reporter => new SummaryExportReporter(o.summaryExport ?? defaultSummaryExportFile(o.outDir)),
} satisfies Record<string, (o: ReporterOptions) => Reporter>

export type ReporterName = keyof typeof REPORTERS
export const REPORTER_NAMES = Object.keys(REPORTERS) as ReporterName[]
/** What every `loadlab run` has. */
export const DEFAULT_REPORTERS: readonly ReporterName[] = ['console', 'json', 'html', 'junit', 'markdown']

const HOOKS: readonly ReporterHook[] = ['onPlan', 'onRunStart', 'onPhase', 'onProgress', 'onFault', 'onRunEnd', 'onSkip', 'onEnd']

/** A `--reporter` that is neither a built-in name nor a usable module (exit 2). */
export class ReporterChoiceError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'ReporterChoiceError'
  }
}

/**
 * The reporters of a run: the defaults, then each of `extra` that is not among them. An extra is a
 * built-in name, or the path of a module (.ts or .js) whose default export is a reporter object or
 * a class whose constructor takes ReporterOptions. Called once by `loadlab run`, before the plan.
 */
export async function createReporters(extra: readonly string[], options: ReporterOptions, cwd = process.cwd()): Promise<Reporter[]> {
  const names = [...DEFAULT_REPORTERS, ...extra].filter((n, i, all) => all.indexOf(n) === i)
  const reporters: Reporter[] = []
  for (const name of names) {
    if (Object.hasOwn(REPORTERS, name)) reporters.push(builtinReporter(name as ReporterName, options))
    else reporters.push(await loadReporterModule(name, options, cwd))
  }
  return reporters
}

/** One built-in reporter (tests, and programs that choose their own set). */
export function builtinReporter(name: ReporterName, options: ReporterOptions): Reporter {
  return REPORTERS[name](options)
}

/** file -> absolute path of every report file written so far (results.json, index.html, ...). */
export function writtenFiles(reporters: readonly Reporter[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const r of reporters) if (r instanceof FileReporter && r.written) out[r.file] = r.written
  return out
}

async function loadReporterModule(spec: string, options: ReporterOptions, cwd: string): Promise<Reporter> {
  const looksLikePath = /[\\/]/.test(spec) || /\.(m?ts|m?js|cjs)$/.test(spec)
  const file = path.resolve(cwd, spec)
  if (!looksLikePath || !existsSync(file)) {
    throw new ReporterChoiceError(
      `--reporter "${spec}": not a reporter; use one of ${REPORTER_NAMES.join(', ')} (built in), or the path of a module whose default export is a reporter`,
    )
  }
  let exported: unknown
  try {
    const mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown }
    exported = mod.default
    // A module compiled as CommonJS arrives wrapped once more.
    if (exported && typeof exported === 'object' && 'default' in exported && !hasHook(exported)) exported = (exported as { default: unknown }).default
  } catch (error) {
    throw new ReporterChoiceError(`--reporter "${spec}": could not load ${file}: ${error instanceof Error ? error.message : String(error)}`)
  }
  const reporter = typeof exported === 'function' ? (new (exported as new (o: ReporterOptions) => unknown)(options) as unknown) : exported
  if (!hasHook(reporter)) {
    throw new ReporterChoiceError(`--reporter "${spec}": its default export has none of the hooks ${HOOKS.join(', ')}; export a reporter object or class`)
  }
  if (reporter.name === undefined) {
    try {
      Object.defineProperty(reporter, 'name', { value: spec })
    } catch {
      // a frozen object: failures then name its class
    }
  }
  return reporter
}

function hasHook(value: unknown): value is Reporter {
  return typeof value === 'object' && value !== null && HOOKS.some((h) => typeof (value as Record<string, unknown>)[h] === 'function')
}
