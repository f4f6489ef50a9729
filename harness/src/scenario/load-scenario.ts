import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import type { Scenario } from './scenario.js'
import { ScenarioError } from './scenario-error.js'
import { validateScenario, type ScenarioOverrides } from './validate-scenario.js'

/** scenarios/ at the root of the repository (this file is harness/{src,dist}/scenario/). */
export const BUILTIN_SCENARIOS_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url))

/**
 * Resolves what the user typed after `loadlab run`: a path to a .ts file, or a bare name
 * (`quickstart` -> scenarios/quickstart.ts, looked up in ./scenarios then in LoadLab's own).
 * Throws a ScenarioError listing the shipped scenarios when nothing matches.
 */
export function resolveScenarioFile(nameOrFile: string, cwd = process.cwd()): string {
  const looksLikePath = /[\\/]/.test(nameOrFile) || /\.(m?ts|m?js)$/.test(nameOrFile)
  const candidates = looksLikePath
    ? [path.resolve(cwd, nameOrFile)]
    : [path.join(cwd, 'scenarios', `${nameOrFile}.ts`), path.join(BUILTIN_SCENARIOS_DIR, `${nameOrFile}.ts`)]
  const found = candidates.find((file) => existsSync(file))
  if (found) return found
  throw new ScenarioError(
    `scenario "${nameOrFile}" not found (looked at ${candidates.join(', ')}). ` + `Give a path to a .ts file or one of: ${listBuiltinScenarios().join(', ')}`,
  )
}

/** Names of the scenarios LoadLab ships (for messages and `loadlab doctor`). */
export function listBuiltinScenarios(): string[] {
  if (!existsSync(BUILTIN_SCENARIOS_DIR)) return []
  return readdirSync(BUILTIN_SCENARIOS_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort()
}

/**
 * Imports a scenario file (TypeScript, compiled on the fly by tsx), takes its default export and
 * validates it, with the command line's `overrides` applied first. Called once per `loadlab run` / `sut up`. Throws ScenarioError (exit 2) for a
 * missing file, a file that does not compile, a missing default export or an invalid scenario.
 */
export async function loadScenario(nameOrFile: string, cwd = process.cwd(), overrides: ScenarioOverrides = {}): Promise<Scenario> {
  const file = resolveScenarioFile(nameOrFile, cwd)
  let mod: { default?: unknown }
  try {
    mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new ScenarioError(`${file} could not be loaded: ${reason}`)
  }
  // tsx may wrap a module it compiled as CommonJS once more: { default: { default: scenario } },
  // and a file without a default export comes back as { x, default: { x } }.
  const named = Object.keys(mod).filter((k) => k !== 'default' && k !== 'module.exports')
  let exported = mod.default as unknown
  if (exported && typeof exported === 'object' && 'default' in exported) {
    exported = (exported as { default: unknown }).default
  } else if (
    exported &&
    typeof exported === 'object' &&
    named.length > 0 &&
    named.every((k) => (exported as Record<string, unknown>)[k] === (mod as Record<string, unknown>)[k])
  ) {
    exported = undefined
  }
  if (exported === undefined) {
    throw new ScenarioError(`${file} has no default export: end it with \`export default defineScenario({ ... })\``)
  }
  return validateScenario(exported, file, overrides)
}
