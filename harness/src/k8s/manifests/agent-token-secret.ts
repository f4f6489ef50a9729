import type { V1Secret } from '@kubernetes/client-node'
import { labelsFor } from './k8s-labels.js'

/** Key of the token in the Secret. */
export const AGENT_TOKEN_KEY = 'token'

/**
 * The shared secret agents present to the coordinator (LOADLAB_AGENT_TOKEN). The coordinator
 * listens on an address the cluster reaches, so without it anyone who can reach that port could
 * join the run as an agent or read its workload. A Secret keeps it out of the Job's spec.
 */
export function agentTokenSecret(base: string, namespace: string, token: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${base}-agent-token`, namespace, labels: labelsFor(base, 'agent') },
    type: 'Opaque',
    stringData: { [AGENT_TOKEN_KEY]: token },
  }
}
