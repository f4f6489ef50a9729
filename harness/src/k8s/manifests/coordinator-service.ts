import type { V1Service } from '@kubernetes/client-node'
import { labelsFor } from './k8s-labels.js'

/** Port agents reach the coordinator on (the Service's port). */
export const COORDINATOR_PORT = 7070

export function coordinatorServiceName(base: string): string {
  return `${base}-coordinator`
}

/** The URL agents use for the coordinator Service, from inside the namespace. */
export function coordinatorServiceUrl(base: string): string {
  return `http://${coordinatorServiceName(base)}:${COORDINATOR_PORT}`
}

/**
 * A Service without a selector that gives the agents one stable name for the coordinator, wherever
 * it runs: the coordinator is the `loadlab` process that starts the run, usually outside the
 * cluster, so no pod backs this Service. Whoever starts the coordinator points the Service at it
 * with an EndpointSlice labelled `kubernetes.io/service-name: <this name>`.
 */
export function coordinatorService(base: string, namespace: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: coordinatorServiceName(base), namespace, labels: labelsFor(base, 'coordinator') },
    spec: { ports: [{ name: 'coordinator', port: COORDINATOR_PORT, targetPort: COORDINATOR_PORT, protocol: 'TCP' }] },
  }
}
