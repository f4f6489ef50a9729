import { appendFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { threadId } from 'node:worker_threads'
import { z } from 'zod'
import { readProcessIdentity } from './process-identity.js'
import { ensureRuntimeDir, runtimeDirPath } from './runtime-dir.js'

// The ledger: one file per harness process in the runtime folder, "<pid>-<start ticks>.jsonl"
// ("-t<thread>" added inside a worker thread, which has its own children and its own file).
// Its first line identifies the harness, each further line one child it started. A harness that
// ends normally deletes its file (after stopping its children); a file whose harness is gone is
// what a killed harness left, and reapLeftovers() acts on it. Lines are appended one write at a
// time, so a harness killed mid-run leaves a readable file.

export const harnessLine = z.object({
  kind: z.literal('harness'),
  pid: z.number().int().positive(),
  startTicks: z.number(),
  argv: z.array(z.string()),
  cwd: z.string(),
  startedAt: z.string(),
})

export const childLine = z.object({
  kind: z.literal('child'),
  pid: z.number().int().positive(),
  startTicks: z.number(),
  /** Member name: shard-0, replica-1, balancer, redis. */
  member: z.string(),
  /** Strings that all appear in the child's command line once it runs its program. */
  match: z.array(z.string()).min(1),
  logFile: z.string().optional(),
})

export type HarnessRecord = z.infer<typeof harnessLine>
export type ChildRecord = z.infer<typeof childLine>

/** What to record about a child at spawn time (its start time is read from /proc). */
export interface ChildDescription {
  member: string
  match: string[]
  logFile?: string
}

let file: string | null = null
let unusable = false

/** Appends a child of this harness to its ledger file, creating the file on first use. Never throws. */
export function recordChild(pid: number, child: ChildDescription): void {
  const target = ledgerFile()
  if (!target) return
  const id = readProcessIdentity(pid)
  if (!id) return // already gone, or no /proc: nothing a reaper could verify later
  const line: ChildRecord = { kind: 'child', pid, startTicks: id.startTicks, ...child }
  try {
    appendFileSync(target, `${JSON.stringify(line)}\n`)
  } catch {
    // A full disk must not stop a run; the children still die with the harness.
  }
}

/** Deletes this harness's ledger file. Called on exit, after every child was stopped. */
export function forgetLedger(): void {
  if (file) rmSync(file, { force: true })
  file = null
}

/** This harness's ledger file (created with its identity line), or null when records cannot be kept. */
function ledgerFile(): string | null {
  if (file || unusable) return file
  const self = readProcessIdentity(process.pid)
  if (!self) {
    unusable = true // not Linux: there is no /proc to verify a record against later
    return null
  }
  try {
    const dir = ensureRuntimeDir()
    const target = path.join(dir, `${process.pid}-${self.startTicks}${threadId > 0 ? `-t${threadId}` : ''}.jsonl`)
    const line: HarnessRecord = {
      kind: 'harness',
      pid: process.pid,
      startTicks: self.startTicks,
      argv: process.argv,
      cwd: process.cwd(),
      startedAt: new Date().toISOString(),
    }
    appendFileSync(target, `${JSON.stringify(line)}\n`, { mode: 0o600 })
    file = target
  } catch (error) {
    unusable = true
    process.stderr.write(
      `loadlab: cannot keep the record of started processes in ${runtimeDirPath()} (${error instanceof Error ? error.message : String(error)}); a killed run's leftovers will not be found\n`,
    )
  }
  return file
}
