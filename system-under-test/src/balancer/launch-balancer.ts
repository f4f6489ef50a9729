import { ConfigurationError } from '../config/configuration-error.js'
import { balancerOptionsSchema, type BalancerOptionsInput } from './balancer-options.js'
import { unsupportedStrategyMessage } from './engines/engine-capabilities.js'
import { startHaproxyBalancer } from './engines/haproxy-balancer.js'
import { startNginxBalancer } from './engines/nginx-balancer.js'
import { startBalancer, type RunningBalancer } from './start-balancer.js'

/**
 * Starts a balancer with the chosen engine (`builtin` in this process, or real HAProxy / nginx
 * as supervised children). Throws a ConfigurationError, before starting anything, when the
 * options are invalid or the engine cannot run the strategy.
 */
export async function launchBalancer(input: BalancerOptionsInput): Promise<RunningBalancer> {
  const parsed = balancerOptionsSchema.safeParse(input)
  if (!parsed.success) {
    throw new ConfigurationError(parsed.error.issues.map((i) => `${flagName(i.path)}: ${i.message}`).join('\n'))
  }
  const options = parsed.data
  const refusal = unsupportedStrategyMessage(options.engine, options.strategy)
  if (refusal) throw new ConfigurationError(refusal)
  switch (options.engine) {
    case 'builtin':
      return startBalancer(options)
    case 'haproxy':
      return startHaproxyBalancer(options)
    case 'nginx':
      return startNginxBalancer(options)
  }
}

/** `['backends', 1]` -> `--backends (item 2)`: name the flag the user typed. */
function flagName(path: readonly PropertyKey[]): string {
  const [field, index] = path
  if (field === undefined) return 'options'
  const flag = `--${String(field).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
  return typeof index === 'number' ? `${flag} (item ${index + 1})` : flag
}
