import type { V1Job } from '@kubernetes/client-node'
import { agentContainer, type AgentContainerOptions } from './agent-container.js'
import { labelsFor, selectorFor } from './k8s-labels.js'
import { scenarioConfigMapName } from './scenario-config-map.js'

export function agentJobName(base: string): string {
  return `${base}-agents`
}

/**
 * The load generators as one Indexed Job: N pods at once (completions = parallelism = N), pod i
 * taking slice i of N. No retries: a replaced agent would run its slice at another time than
 * the others and skew the merged result, so a failed pod fails the Job and the run names it.
 */
export function agentJob(base: string, namespace: string, o: AgentContainerOptions): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: agentJobName(base), namespace, labels: labelsFor(base, 'agent') },
    spec: {
      completionMode: 'Indexed',
      completions: o.parallelism,
      parallelism: o.parallelism,
      backoffLimit: 0,
      template: {
        metadata: { labels: labelsFor(base, 'agent') },
        spec: {
          restartPolicy: 'Never',
          containers: [agentContainer(o)],
          volumes: [{ name: 'scenario', configMap: { name: scenarioConfigMapName(base) } }],
          // More load than one machine: spread the agents over the nodes when the cluster can.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selectorFor(base, 'agent') },
            },
          ],
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          automountServiceAccountToken: false,
        },
      },
    },
  }
}
