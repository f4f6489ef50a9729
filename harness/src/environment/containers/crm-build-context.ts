import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { EnvironmentError } from '../environment.js'

// The CRM service image's build context, staged from this checkout: system-under-test/Dockerfile,
// the built service (system-under-test/dist) and exactly the npm packages it imports at run time,
// with their dependencies, as the lock file resolved them. No registry is needed at build time.

/** The repository root (this file is harness/{src,dist}/environment/containers/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const SUT_DIST = path.join(REPO_ROOT, 'system-under-test', 'dist')
const DOCKERFILE = path.join(REPO_ROOT, 'system-under-test', 'Dockerfile')
const LOCK_FILE = path.join(REPO_ROOT, 'package-lock.json')

interface LockPackage {
  version?: string
  integrity?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  link?: boolean
}

/** The bare package names the built service imports (`from 'express'`, `import('pg')`), Node built-ins excluded. */
export function importedPackages(distDir = SUT_DIST): string[] {
  const names = new Set<string>()
  // Static imports and re-exports are statements at the start of a line in tsc's output (a help
  // text that ends in "from" is not an import); dynamic import() may sit anywhere.
  const pattern =
    /^\s*(?:import|export)\b[^'"\n]*?\bfrom\s*['"]([^'".][^'"]*)['"]|^\s*import\s*['"]([^'".][^'"]*)['"]|\bimport\s*\(\s*['"]([^'".][^'"]*)['"]\s*\)/gm
  for (const file of listFiles(distDir)) {
    if (!file.endsWith('.js')) continue
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      // Each alternative of the pattern captures the specifier in its own group.
      const spec = (match[1] ?? match[2] ?? match[3])!
      if (spec.startsWith('node:')) continue
      const parts = spec.split('/')
      names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!)
    }
  }
  return [...names].sort()
}

/**
 * The lock file's install paths (`node_modules/express`, `node_modules/a/node_modules/b`) of the
 * given packages and everything they depend on, resolved the way Node does (nearest
 * node_modules folder first). Optional dependencies the lock did not install are skipped.
 */
export function dependencyClosure(roots: readonly string[], lock: { packages: Record<string, LockPackage> }): string[] {
  const seen = new Set<string>()
  const visit = (installPath: string) => {
    if (seen.has(installPath)) return
    seen.add(installPath)
    const pkg = lock.packages[installPath]
    const deps = { ...pkg?.dependencies, ...pkg?.optionalDependencies }
    for (const name of Object.keys(deps)) {
      const found = resolveFrom(installPath, name, lock)
      if (found) visit(found)
      else if (!pkg?.optionalDependencies?.[name])
        throw new EnvironmentError(`package-lock.json has no install of ${name} (needed by ${installPath}): run \`npm ci\``)
    }
  }
  for (const name of roots) {
    const found = resolveFrom('', name, lock)
    if (!found)
      throw new EnvironmentError(`the service imports ${name}, which package-lock.json does not install: add it to package.json and run \`npm install\``)
    visit(found)
  }
  return [...seen].sort()
}

function resolveFrom(installPath: string, name: string, lock: { packages: Record<string, LockPackage> }): string | null {
  let dir = installPath
  for (;;) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`
    if (lock.packages[candidate]) return candidate
    if (dir === '') return null
    const cut = dir.lastIndexOf('/node_modules/')
    dir = cut < 0 ? '' : dir.slice(0, cut)
  }
}

export interface CrmContext {
  /** Identifies the inputs: the same hash means the same image. */
  hash: string
  /** Writes the context into `dir` (for a build). */
  stage(dir: string): void
}

/** Describes the CRM image's context from the checkout; throws when the service is not built. */
export function crmContext(): CrmContext {
  if (!existsSync(path.join(SUT_DIST, 'main.js'))) {
    throw new EnvironmentError(`the system under test is not built (${SUT_DIST}/main.js is missing): run \`npm run build\` first`)
  }
  const lock = JSON.parse(readFileSync(LOCK_FILE, 'utf8')) as { packages: Record<string, LockPackage> }
  const packages = dependencyClosure(importedPackages(), lock)
  const hash = createHash('sha256')
  hash.update(readFileSync(DOCKERFILE))
  for (const p of packages) {
    // dependencyClosure returns install paths it found in this lock.
    const pkg = lock.packages[p]!
    hash.update(`${p}@${pkg.version ?? ''}#${pkg.integrity ?? ''}\n`)
  }
  for (const file of listFiles(SUT_DIST)) hash.update(path.relative(SUT_DIST, file)).update(readFileSync(file))
  return {
    hash: hash.digest('hex').slice(0, 16),
    stage(dir: string) {
      cpSync(DOCKERFILE, path.join(dir, 'Dockerfile'))
      writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'loadlab-crm', private: true, type: 'module' })}\n`)
      for (const p of packages) {
        const from = path.join(REPO_ROOT, p)
        if (!existsSync(from)) throw new EnvironmentError(`${from} is missing: run \`npm ci\``)
        cpSync(from, path.join(dir, p), { recursive: true, dereference: true, filter: (src) => !src.slice(from.length).includes('/node_modules/') })
      }
      mkdirSync(path.join(dir, 'system-under-test'), { recursive: true })
      cpSync(SUT_DIST, path.join(dir, 'system-under-test', 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') })
    },
  }
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry)
    if (statSync(full).isDirectory()) out.push(...listFiles(full))
    else out.push(full)
  }
  return out
}
