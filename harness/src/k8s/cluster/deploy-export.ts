import type { KubernetesObject, V1Deployment, V1Job, V1StatefulSet } from '@kubernetes/client-node'
import { agentJobName } from '../manifests/agent-job.js'
import { labelSelector, selectorFor, INSTANCE_LABEL, COMPONENT_LABEL } from '../manifests/k8s-labels.js'
import { exportedObjects, type ManifestExport } from '../manifests/export-manifests.js'
import { applyManifests, type AppliedManifests } from './apply-manifests.js'
import { KubernetesError } from './kubernetes-error.js'
import type { ClusterConnection } from './connect-to-cluster.js'
import { waitForJobComplete } from './wait-for-job-complete.js'
import { waitForPodsReady, type ReadyPod } from './wait-for-pods-ready.js'

export interface DeployOptions {
  /** How long pods may take to become ready (pulling the image, scheduling). */
  readyTimeoutMs: number
  /** Ctrl-C: stop waiting, delete what was applied, reject with the signal's reason. */
  signal?: AbortSignal
  /** Progress lines for the console. */
  onProgress?(line: string): void
}

/** A distributed run's objects on the cluster, every pod ready. Disposing deletes what was created. */
export interface DeployedExport extends AsyncDisposable {
  applied: AppliedManifests
  /** The agent pods, one per slice. */
  agents: ReadyPod[]
  /** Resolves when every agent has finished its slice (the Job is Complete); rejects naming a failed agent. */
  agentsDone(timeoutMs: number, signal?: AbortSignal): Promise<V1Job>
  /** Deletes what the deploy created and waits until it is gone (see AppliedManifests.delete). */
  delete(): Promise<void>
}

/**
 * What `loadlab run --k8s` does before the load starts: applies an export (dry-run first), waits
 * for the CRM's pods (with --sut) and then for every agent pod to be ready. When anything fails,
 * or `signal` aborts, deletes what it applied before rethrowing, so the caller only has to
 * delete after a successful deploy (`await using`).
 */
export async function deployExport(c: ClusterConnection, e: ManifestExport, o: DeployOptions): Promise<DeployedExport> {
  const objects = exportedObjects(e)
  o.onProgress?.(`applying ${objects.length} objects to ${c.server} (context ${c.context}, namespace ${e.namespace})`)
  const applied = await applyManifests(c, objects, o.signal)
  try {
    const sutPods = objects.filter((x) => x.kind === 'StatefulSet' || x.kind === 'Deployment').reduce((n, x) => n + replicasOf(x), 0)
    if (sutPods > 0) {
      o.onProgress?.(`waiting for the CRM's ${sutPods} pods to be ready`)
      await waitForPodsReady(c, {
        namespace: e.namespace,
        labelSelector: `${INSTANCE_LABEL}=${e.base},${COMPONENT_LABEL} in (shard,replica,balancer,redis,memcached)`,
        count: sutPods,
        timeoutMs: o.readyTimeoutMs,
        signal: o.signal,
      })
    }
    const job = objects.find((x): x is V1Job => x.kind === 'Job')
    const parallelism = job?.spec?.parallelism ?? 0
    o.onProgress?.(`waiting for ${parallelism} agent pods to be ready`)
    const agents = await waitForPodsReady(c, {
      namespace: e.namespace,
      labelSelector: labelSelector(selectorFor(e.base, 'agent')),
      count: parallelism,
      timeoutMs: o.readyTimeoutMs,
      signal: o.signal,
    })
    return {
      applied,
      agents,
      agentsDone: (timeoutMs, signal) => waitForJobComplete(c, { namespace: e.namespace, name: agentJobName(e.base), timeoutMs, signal }),
      delete: () => applied.delete(),
      [Symbol.asyncDispose]: () => applied.delete(),
    }
  } catch (error) {
    o.onProgress?.('deleting what was applied')
    try {
      await applied.delete()
    } catch (cleanup) {
      // Both matter: why the deploy stopped, and what is left on the cluster.
      const reason = error instanceof Error ? error.message : String(error)
      throw new KubernetesError(`${reason}; then ${(cleanup as Error).message}`)
    }
    throw error
  }
}

function replicasOf(o: KubernetesObject): number {
  return (o as V1StatefulSet | V1Deployment).spec?.replicas ?? 1
}
