import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { SuiteResult } from '../results/results-schema.js'
import { loadResultsFile, ResultsFileError } from '../results/load-results-file.js'

// What `--baseline` names: one results.json (the run to compare with), or a folder of earlier
// results (every results.json below it, e.g. one sub-folder per CI build) that the gate treats as
// a history: the spread of many earlier runs is the noise a new run is judged against.

export interface BaselineSource {
  /** As the user gave it: shown in reports. */
  label: string
  kind: 'file' | 'folder'
  /** Each results file, in the order of its first run's start (oldest first). */
  entries: Array<{ file: string; suite: SuiteResult }>
}

/** Folders never searched for results (logs of runs, dependencies). */
const SKIPPED_FOLDERS = new Set(['node_modules', 'logs', '.git'])
const MAX_DEPTH = 4

function findResultsFiles(dir: string, depth: number): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (error) {
    throw new ResultsFileError(`${dir}: cannot read the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
  }
  const out: string[] = []
  for (const name of names.sort()) {
    const full = path.join(dir, name)
    const st = statSync(full, { throwIfNoEntry: false })
    if (!st) continue
    if (st.isDirectory() && depth < MAX_DEPTH && !SKIPPED_FOLDERS.has(name)) out.push(...findResultsFiles(full, depth + 1))
    else if (st.isFile() && name === 'results.json') out.push(full)
  }
  return out
}

function firstStart(s: SuiteResult): string {
  return s.runs.map((r) => r.startedAt).sort()[0] ?? s.startedAt
}

/** A suite already in memory (tests, `loadlab run` reusing a result) as a one-file source. */
export function baselineFromSuite(suite: SuiteResult, label = '(baseline)'): BaselineSource {
  return { label, kind: 'file', entries: [{ file: label, suite }] }
}

/**
 * Loads `--baseline <file|folder>`. Throws ResultsFileError (exit 2) naming the path for a
 * missing path, an empty folder, or any results.json that is not valid: a history with a broken
 * file is not silently shortened.
 */
export function loadBaselineSource(target: string): BaselineSource {
  const st = statSync(target, { throwIfNoEntry: false })
  if (!st) throw new ResultsFileError(`${target}: no such file or folder; give the results.json of an earlier run, or a folder of them`)
  if (!st.isDirectory()) return { label: target, kind: 'file', entries: [{ file: target, suite: loadResultsFile(target) }] }
  const files = findResultsFiles(target, 0)
  if (files.length === 0) {
    throw new ResultsFileError(
      `${target}: the folder holds no results.json (searched ${MAX_DEPTH} levels deep); put the results.json of earlier runs in it, one sub-folder per run`,
    )
  }
  const entries = files.map((file) => ({ file, suite: loadResultsFile(file) }))
  entries.sort((a, b) => firstStart(a.suite).localeCompare(firstStart(b.suite)))
  return { label: target, kind: 'folder', entries }
}
