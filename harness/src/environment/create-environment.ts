import type { Scenario } from '../scenario/scenario.js'
import { ContainerEnvironment } from './containers/container-environment.js'
import type { Environment } from './environment.js'
import { ExternalEnvironment } from './external-environment.js'
import { LocalEnvironment } from './local-environment.js'

/**
 * The environment a run runs in: its external `target` (the scenario's, or the run's own with a
 * matrix over target), containers (`environment: 'containers'` or `--env containers`), or local
 * processes. Members' logs go to <logDir>/<member>.log; local processes' pids are appended to
 * `pidFile`. Called once per run.
 */
export function createEnvironment(scenario: Scenario, logDir: string, pidFile?: string, target: URL | null = scenario.target): Environment {
  // The user's own service (http scenarios) is not a LoadLab CRM: no /health, no /metrics to scrape.
  if (target) return new ExternalEnvironment(target, scenario.http ? { probePath: null, scrapeMetrics: false } : {})
  if (scenario.environment === 'containers') return new ContainerEnvironment({ logDir, faults: scenario.faults })
  return new LocalEnvironment({ logDir, pidFile })
}
