import type { LoadEngine } from './load-engine.js'
import { AutocannonEngine } from './autocannon-engine.js'
import { OpenEngine } from './open-engine.js'

/** Engines a user can pick with `--engine` (k6 comes later). */
export const ENGINE_NAMES = ['autocannon', 'open'] as const
export type SelectableEngineName = (typeof ENGINE_NAMES)[number]

/** The engine itself, running in this process: what a load agent runs on its slice (the harness runs engines through AgentEngine). */
export function createEngine(name: SelectableEngineName): LoadEngine {
  switch (name) {
    case 'autocannon':
      return new AutocannonEngine()
    case 'open':
      return new OpenEngine()
    default: {
      const unknown: string = name
      throw new Error(`unknown engine '${unknown}'; choose one of: ${ENGINE_NAMES.join(', ')}`)
    }
  }
}
