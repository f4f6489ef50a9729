import type { ScenarioDefinition } from './scenario.js'

/**
 * Identity function that gives a scenario file its types (completion and checks in the editor).
 * Validation happens when the file is loaded (`loadScenario`), not here, so a scenario file
 * imports nothing heavier than this.
 */
export function defineScenario(scenario: ScenarioDefinition): ScenarioDefinition {
  return scenario
}

export type { ScenarioDefinition } from './scenario.js'
