import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { UsageError } from '../runner/usage-error.js'

// The folder a command writes into (--out), checked before anything starts: an empty value, a
// file, a folder with someone else's files in it, or a virtual file system (/proc, /sys, /dev)
// are refused with exit 2. An earlier LoadLab output folder is replaced, as a whole, only with
// --force; a folder LoadLab writes carries a marker file so it can be recognised later.

/** Written into every output folder at the start: says "LoadLab wrote this folder". */
export const OUTPUT_MARKER = '.loadlab-output'

/** Everything LoadLab writes into an output folder; a folder with anything else is never replaced. */
const LOADLAB_ENTRIES = new Set([
  OUTPUT_MARKER,
  ...['results.json', 'index.html', 'junit.xml', 'summary.md', 'pids.txt', 'logs'], // run, report
  ...['comparison.json', 'comparison.md'], // compare
  ...['10-scenario.yaml', '20-sut.yaml', '30-agents.yaml', 'Dockerfile', 'Dockerfile.dockerignore'], // k8s export
])
/** Left by a write that was cut short (write-reports.ts writes "<file>.tmp-<pid>" then renames). */
const PARTIAL_WRITE = /\.tmp-\d+$/

// Node's recursive mkdir never returns on some paths in /proc; nothing belongs in these anyway.
const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev']
const REAL_UNDER_DEV = ['/dev/shm']

export interface OutputFolderOptions {
  /** The flag as the user typed it, for messages: "--out". */
  flag: string
  /** Replace an earlier LoadLab output folder. */
  force?: boolean
  /** A folder that may be written into as it is (`loadlab report` writes beside its results file). */
  alwaysAllowed?: string
}

export type OutputFolderState = 'new' | 'empty' | 'replace' | 'reuse'

export interface CheckedOutputFolder {
  dir: string
  state: OutputFolderState
}

/** Checks `value` as an output folder without changing anything; throws a UsageError (exit 2) naming the flag and the fix. */
export function checkOutputFolder(value: string, opts: OutputFolderOptions): CheckedOutputFolder {
  const { flag } = opts
  if (value.trim() === '') {
    throw new UsageError(`${flag} is empty: give the folder to write into, for example ${flag} reports/my-run`)
  }
  const dir = path.resolve(value)
  const shown = JSON.stringify(value)
  if (!existsSync(dir)) {
    const parent = nearestExisting(path.dirname(dir))
    refuseVirtual(parent, flag, shown)
    if (!statSync(parent).isDirectory()) throw new UsageError(`${flag} ${shown}: ${parent} is a file, so no folder can be made under it; give another path`)
    if (!writable(parent)) throw new UsageError(`${flag} ${shown}: cannot create a folder in ${parent} (no write permission); give a folder you can write to`)
    return { dir, state: 'new' }
  }
  refuseVirtual(dir, flag, shown)
  const st = statSync(dir)
  if (!st.isDirectory()) throw new UsageError(`${flag} ${shown} is a file, not a folder: give a new or empty folder`)
  if (!writable(dir)) throw new UsageError(`${flag} ${shown}: no write permission in ${dir}; give a folder you can write to`)
  const entries = readdirSync(dir)
  if (entries.length === 0) return { dir, state: 'empty' }
  if (opts.alwaysAllowed !== undefined && realpathSync(opts.alwaysAllowed) === realpathSync(dir)) return { dir, state: 'reuse' }
  const fromLoadLab = isLoadLabOutput(dir)
  const foreign = entries.filter((e) => !LOADLAB_ENTRIES.has(e) && !PARTIAL_WRITE.test(e))
  if (!fromLoadLab) {
    throw new UsageError(
      `${flag} ${shown} is a folder with other files in it (${preview(entries)}): give a new or empty folder. LoadLab replaces only an earlier LoadLab output folder, and only with --force`,
    )
  }
  if (!opts.force) {
    throw new UsageError(`${flag} ${shown} holds an earlier LoadLab output: add --force to replace it (its files are deleted), or give a new folder`)
  }
  if (foreign.length > 0) {
    throw new UsageError(
      `${flag} ${shown} holds an earlier LoadLab output but also files LoadLab did not write (${preview(foreign)}): move them away or give a new folder; --force replaces only what LoadLab wrote`,
    )
  }
  return { dir, state: 'replace' }
}

/** Creates the checked folder (replacing an earlier output when that was allowed) and marks it as LoadLab's. */
export function prepareOutputFolder(checked: CheckedOutputFolder, command: string): void {
  const { dir, state } = checked
  try {
    if (state === 'replace') rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    if (state !== 'reuse' || !existsSync(path.join(dir, OUTPUT_MARKER))) {
      writeFileSync(path.join(dir, OUTPUT_MARKER), `${JSON.stringify({ tool: 'loadlab', command, createdAt: new Date().toISOString() })}\n`)
    }
  } catch (error) {
    throw new UsageError(`cannot prepare the output folder ${dir}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** true for a folder LoadLab wrote: it has the marker, or a results.json written by LoadLab (folders from before the marker). */
export function isLoadLabOutput(dir: string): boolean {
  if (existsSync(path.join(dir, OUTPUT_MARKER))) return true
  try {
    const json = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as { tool?: { name?: unknown } } | null
    return json?.tool?.name === 'loadlab'
  } catch {
    return false
  }
}

/** `reports/<name>-<n>`: the first of `base`, `base-2`, `base-3`, ... that does not exist yet. */
export function unusedFolder(base: string): string {
  if (!existsSync(base)) return base
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`
    if (!existsSync(candidate)) return candidate
  }
}

function nearestExisting(dir: string): string {
  let current = dir
  while (!existsSync(current)) {
    const up = path.dirname(current)
    if (up === current) break
    current = up
  }
  return current
}

function refuseVirtual(existing: string, flag: string, shown: string): void {
  let real: string
  try {
    real = realpathSync(existing)
  } catch {
    real = existing
  }
  const inside = (root: string): boolean => real === root || real.startsWith(`${root}/`)
  if (VIRTUAL_ROOTS.some(inside) && !REAL_UNDER_DEV.some(inside)) {
    throw new UsageError(
      `${flag} ${shown} is in ${VIRTUAL_ROOTS.find(inside)}, a virtual file system that holds no reports: give a folder on disk, for example ${flag} reports/my-run`,
    )
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK)
    return true
  } catch {
    return false
  }
}

function preview(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ')
  return names.length > 5 ? `${shown}, ... ${names.length} in all` : shown
}
