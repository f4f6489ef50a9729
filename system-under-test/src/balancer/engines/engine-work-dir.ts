import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** Where a real engine keeps its files; cleanup() is called once on close. */
export interface EngineWorkDir {
  readonly path: string
  cleanup(): Promise<void>
}

/**
 * The folder holding a real engine's config, pid, socket and logs: the user's `--work-dir`
 * (kept afterwards, for reading the logs) or a new temp dir (removed on close).
 */
export async function prepareWorkDir(engine: string, requested: string | undefined): Promise<EngineWorkDir> {
  if (requested) {
    const path = resolve(requested)
    await mkdir(path, { recursive: true })
    return { path, cleanup: async () => {} }
  }
  const path = await mkdtemp(join(tmpdir(), `loadlab-${engine}-`))
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) }
}
