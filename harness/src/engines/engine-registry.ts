import type { LoadEngine } from './load-engine.js'
import { AutocannonEngine } from './autocannon-engine.js'
import { NativeEngine } from './native-engine.js'

/**
 * Engines a user can pick with `--engine` (k6 comes later): `autocannon` for the closed model,
 * `native` (LoadLab's own engine) for arrival rates. "open" is the name of a load model only.
 */
export const ENGINE_NAMES = ['autocannon', 'native'] as const
export type SelectableEngineName = (typeof ENGINE_NAMES)[number]

/** Former engine names `--engine` still accepts, with a deprecation note, and what they are now. */
export const DEPRECATED_ENGINE_NAMES: Readonly<Record<string, SelectableEngineName>> = { open: 'native' }

/**
 * The engine a name given to `--engine` means, and a note when the name is a former one
 * (`--engine open is deprecated, write --engine native instead`); null for an unknown name.
 */
export function resolveEngineName(text: string): { name: SelectableEngineName; deprecation: string | null } | null {
  if ((ENGINE_NAMES as readonly string[]).includes(text)) return { name: text as SelectableEngineName, deprecation: null }
  const current = Object.hasOwn(DEPRECATED_ENGINE_NAMES, text) ? DEPRECATED_ENGINE_NAMES[text] : undefined
  if (current === undefined) return null
  return { name: current, deprecation: `--engine ${text} is deprecated, write --engine ${current} instead` }
}

/** The engine itself, running in this process: what a load agent runs on its slice (the harness runs engines through AgentEngine). */
export function createEngine(name: SelectableEngineName): LoadEngine {
  switch (name) {
    case 'autocannon':
      return new AutocannonEngine()
    case 'native':
      return new NativeEngine()
    default: {
      const unknown: string = name
      throw new Error(`unknown engine '${unknown}'; choose one of: ${ENGINE_NAMES.join(', ')}`)
    }
  }
}
