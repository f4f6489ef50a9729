import type { Scenario } from '../scenario/scenario.js'
import { ContainerEnvironment } from './containers/container-environment.js'
import type { Environment } from './environment.js'
import { ExternalEnvironment } from './external-environment.js'
import { LocalEnvironment } from './local-environment.js'

/**
 * The environment a scenario runs in: its external `target`, containers (`environment:
 * 'containers'` or `--env containers`), or local processes. Members' logs go to
 * <logDir>/<member>.log; local processes' pids are appended to `pidFile`. Called once per run.
 */
export function createEnvironment(scenario: Scenario, logDir: string, pidFile?: string): Environment {
  if (scenario.target) return new ExternalEnvironment(scenario.target)
  if (scenario.environment === 'containers') return new ContainerEnvironment({ logDir, faults: scenario.faults })
  return new LocalEnvironment({ logDir, pidFile })
}
