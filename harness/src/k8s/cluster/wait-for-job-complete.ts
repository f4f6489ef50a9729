import type { V1Job } from '@kubernetes/client-node'
import type { ClusterConnection } from './connect-to-cluster.js'
import { describeFailedPod } from './describe-failed-pod.js'
import { apiErrorMessage, KubernetesError } from './kubernetes-error.js'
import { pause } from './pause.js'

export interface WaitForJobOptions {
  namespace: string
  name: string
  timeoutMs: number
  signal?: AbortSignal
  pollMs?: number
}

/**
 * Resolves with the Job once it is Complete (every index succeeded). Rejects when it Failed,
 * naming each failed pod (its index and exit reason) and the Job's own reason (backoff limit,
 * deadline); after `timeoutMs` with its counts of active, succeeded and failed pods; with the
 * signal's reason when aborted.
 */
export async function waitForJobComplete(c: ClusterConnection, o: WaitForJobOptions): Promise<V1Job> {
  const deadline = Date.now() + o.timeoutMs
  for (;;) {
    o.signal?.throwIfAborted()
    let job: V1Job
    try {
      job = await c.batch.readNamespacedJob({ name: o.name, namespace: o.namespace })
    } catch (error) {
      throw new KubernetesError(`reading Job ${o.namespace}/${o.name} failed: ${apiErrorMessage(error)}`)
    }
    const conditions = job.status?.conditions ?? []
    if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return job
    const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True')
    if (failed) {
      const pods = await failedPods(c, o.namespace, o.name)
      throw new KubernetesError(
        `Job ${o.namespace}/${o.name} failed (${failed.reason ?? '?'}: ${failed.message ?? ''})${pods.length > 0 ? `; ${pods.join('; ')}` : ''}`,
      )
    }
    if (Date.now() > deadline) {
      const s = job.status
      throw new KubernetesError(
        `Job ${o.namespace}/${o.name} not complete after ${o.timeoutMs / 1000} s: ${s?.active ?? 0} running, ${s?.succeeded ?? 0} succeeded, ${s?.failed ?? 0} failed of ${job.spec?.completions ?? '?'}`,
      )
    }
    await pause(o.pollMs ?? 500, o.signal)
  }
}

/** Each failed pod of the Job, named with its index and exit reason. */
async function failedPods(c: ClusterConnection, namespace: string, job: string): Promise<string[]> {
  try {
    const pods = await c.core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` })
    return pods.items.filter((p) => p.status?.phase === 'Failed').map(describeFailedPod)
  } catch {
    return [] // the Job's own reason is still reported
  }
}
