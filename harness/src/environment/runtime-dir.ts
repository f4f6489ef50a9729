import { lstatSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

// Where LoadLab keeps the record of the processes each harness started: one folder per user,
// independent of --out, so `loadlab run` and `loadlab doctor` find the leftovers of any run that
// was killed, wherever it wrote its reports.

/** Overrides the folder (tests, or users who want the records elsewhere). */
export const RUNTIME_DIR_ENV = 'LOADLAB_RUNTIME_DIR'

/** $LOADLAB_RUNTIME_DIR, else $XDG_RUNTIME_DIR/loadlab, else <tmp>/loadlab-<uid>. */
export function runtimeDirPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env[RUNTIME_DIR_ENV]) return path.resolve(env[RUNTIME_DIR_ENV])
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'loadlab')
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user'
  return path.join(tmpdir(), `loadlab-${uid}`)
}

/**
 * Creates the folder (mode 0700) when missing and returns it. Throws when the path exists but is
 * not a folder owned by this user: in a shared /tmp another user could have planted it, and
 * records there could then be forged to make LoadLab kill chosen processes.
 */
export function ensureRuntimeDir(dir = runtimeDirPath()): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const st = lstatSync(dir)
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid
  if (!st.isDirectory() || st.uid !== uid) {
    throw new Error(`${dir} is not a folder owned by this user; remove it or set ${RUNTIME_DIR_ENV} to a private folder`)
  }
  return dir
}
