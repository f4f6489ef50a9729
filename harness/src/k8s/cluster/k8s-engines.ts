import { randomBytes } from 'node:crypto'
import type { LoadEngine } from '../../engines/load-engine.js'
import { UsageError } from '../../runner/usage-error.js'
import type { Scenario } from '../../scenario/scenario.js'
import { exportManifests } from '../manifests/export-manifests.js'
import { connectToCluster } from './connect-to-cluster.js'
import { K8sAgentEngine } from './k8s-agent-engine.js'

export interface K8sRunFlags {
  /** Agent pods (the Indexed Job's parallelism). */
  parallelism: number
  /** Where this process's coordinator listens; the pods must reach it. */
  listen: { host: string; port: number }
  /** URL the pods use for the coordinator when it differs from http://<listen> (NAT, a load balancer). */
  coordinator?: string
  /** Where the pods reach the target when it differs from the scenario's `target`. */
  agentTarget?: string
  kubeconfig?: string
  context?: string
  namespace?: string
  image?: string
  /** How long the pods may take to become ready (scheduling, image pull). */
  readyTimeoutMs?: number
}

const DEFAULT_READY_TIMEOUT_MS = 5 * 60_000

/**
 * Everything `loadlab run --k8s` checks and builds before the first run: the flags, the export
 * (validated as `loadlab k8s export` validates it) and the cluster connection (kubeconfig and
 * context; no server contacted yet). Returns the engine factory the suite runs with: each planned
 * run deploys its own Job of agent pods and deletes it afterwards. Throws UsageError (exit 2).
 */
export async function k8sEngines(
  scenarioArg: string,
  scenario: Scenario,
  f: K8sRunFlags,
  log: (line: string) => void,
): Promise<(engine: 'native' | 'autocannon') => LoadEngine> {
  if (scenario.topology) {
    throw new UsageError(
      `run --k8s loads a target of your own, and ${scenario.name} has a topology for LoadLab to start on this machine: ` +
        'deploy the reference CRM with `loadlab k8s export --sut`, then run a scenario whose `target` is its Service',
    )
  }
  const unspecified = f.listen.host === '0.0.0.0' || f.listen.host === '::'
  if (f.coordinator === undefined && unspecified) {
    throw new UsageError(
      `--agent-listen ${f.listen.host}:${f.listen.port} listens on every address: add --coordinator http://ADDRESS:${f.listen.port}, the address the pods reach this machine on`,
    )
  }
  const coordinator = f.coordinator ?? `http://${f.listen.host.includes(':') ? `[${f.listen.host}]` : f.listen.host}:${f.listen.port}`
  // The coordinator listens on an address the cluster reaches: only pods given this token may join.
  const token = process.env.LOADLAB_AGENT_TOKEN || randomBytes(16).toString('hex')
  const exported = await exportManifests({
    scenario: scenarioArg,
    parallelism: f.parallelism,
    image: f.image,
    namespace: f.namespace,
    coordinator,
    agentTarget: f.agentTarget,
    agentToken: token,
  })
  const cluster = connectToCluster({ kubeconfig: f.kubeconfig, context: f.context })
  log(
    `agents: ${f.parallelism} pod(s) of ${exported.image} in ${cluster.context} (${cluster.server}), namespace ${exported.namespace}, reporting to ${coordinator}`,
  )
  return (engine) =>
    new K8sAgentEngine({
      cluster,
      export: exported,
      engine,
      parallelism: f.parallelism,
      listen: f.listen,
      token,
      readyTimeoutMs: f.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      log,
    })
}
