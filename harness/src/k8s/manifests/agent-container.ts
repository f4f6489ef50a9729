import type { V1Container, V1EnvVar } from '@kubernetes/client-node'
import { AGENT_TOKEN_KEY } from './agent-token-secret.js'
import { BUNDLE_ENTRY } from './bundle-scenario.js'

/** Where the scenario ConfigMap is mounted in an agent pod. */
export const SCENARIO_MOUNT_PATH = '/etc/loadlab/scenario'

export interface AgentContainerOptions {
  image: string
  /** Number of agents (the N of slice i/N). */
  parallelism: number
  /** URL the agent reports to and takes its start signal from. */
  coordinatorUrl: string
  /** Base URL of the system under test when LoadLab deployed it; null: the scenario's own `target`. */
  targetUrl: string | null
  /** Name of the Secret holding the agents' token (key `token`), or null when the coordinator expects none. */
  tokenSecret: string | null
}

/**
 * The agent container of the Indexed Job: the one place that says how a pod runs `loadlab agent`,
 * which slice of the load it takes and how it reaches the coordinator. Every value comes from
 * the environment, so a change to the agent's flags is a change here only.
 *
 * The Job controller sets JOB_COMPLETION_INDEX (0..N-1) in each pod of an Indexed Job; Kubernetes
 * expands `$(VAR)` in args from the container's environment.
 */
export function agentContainer(o: AgentContainerOptions): V1Container {
  const env: V1EnvVar[] = [
    { name: 'LOADLAB_COORDINATOR_URL', value: o.coordinatorUrl },
    { name: 'LOADLAB_AGENT_COUNT', value: String(o.parallelism) },
    { name: 'LOADLAB_SCENARIO', value: `${SCENARIO_MOUNT_PATH}/${BUNDLE_ENTRY}` },
    ...(o.targetUrl ? [{ name: 'LOADLAB_TARGET', value: o.targetUrl }] : []),
    ...(o.tokenSecret ? [{ name: 'LOADLAB_AGENT_TOKEN', valueFrom: { secretKeyRef: { name: o.tokenSecret, key: AGENT_TOKEN_KEY } } }] : []),
    // The agent names itself after its pod, so a failure the coordinator reports names the pod.
    { name: 'LOADLAB_AGENT_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  ]
  return {
    name: 'agent',
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['loadlab', 'agent'],
    args: [
      '--coordinator',
      '$(LOADLAB_COORDINATOR_URL)',
      '--slice',
      '$(JOB_COMPLETION_INDEX)/$(LOADLAB_AGENT_COUNT)',
      '--scenario',
      '$(LOADLAB_SCENARIO)',
      ...(o.targetUrl ? ['--target', '$(LOADLAB_TARGET)'] : []),
      '--name',
      '$(LOADLAB_AGENT_NAME)',
    ],
    env,
    // A load generator that is CPU-throttled stalls its own requests and reports the stall as
    // server latency: ask for a whole core and set no CPU limit.
    resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { memory: '1Gi' } },
    volumeMounts: [{ name: 'scenario', mountPath: SCENARIO_MOUNT_PATH, readOnly: true }],
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
  }
}
