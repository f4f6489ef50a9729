import type { Scenario } from '../scenario/scenario.js'
import type { Environment } from './environment.js'
import { ExternalEnvironment } from './external-environment.js'
import { LocalEnvironment } from './local-environment.js'

/**
 * The environment a scenario runs in: its external `target`, or local processes whose logs go to
 * <logDir>/<member>.log and whose pids are appended to `pidFile`. Called once per run.
 */
export function createEnvironment(scenario: Scenario, logDir: string, pidFile?: string): Environment {
  if (scenario.target) return new ExternalEnvironment(scenario.target)
  return new LocalEnvironment({ logDir, pidFile })
}
