import type { V1Pod } from '@kubernetes/client-node'
import type { ClusterConnection } from './connect-to-cluster.js'
import { describeFailedPod } from './describe-failed-pod.js'
import { apiErrorMessage, KubernetesError } from './kubernetes-error.js'
import { pause } from './pause.js'

export interface WaitForPodsOptions {
  namespace: string
  /** Selects the pods to wait for (`a=b,c=d`). */
  labelSelector: string
  /** How many pods must be ready. */
  count: number
  /** Give up after this long, naming every pod that is not ready and why. */
  timeoutMs: number
  signal?: AbortSignal
  pollMs?: number
}

export interface ReadyPod {
  name: string
  node: string
}

// Container states from which a pod does not recover by waiting: fail at once, naming the reason.
const HOPELESS_WAITING_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
])

/**
 * Resolves when `count` pods matching the selector are Ready. Fails fast, naming the pod and the
 * reason, when a pod cannot get there: it failed or already exited, or a container is stuck
 * (image pull error, crash loop, bad configuration). After `timeoutMs` fails with each waiting
 * pod's reason (unschedulable, still pulling, not created yet). Rejects with the signal's reason
 * when aborted.
 */
export async function waitForPodsReady(c: ClusterConnection, o: WaitForPodsOptions): Promise<ReadyPod[]> {
  const deadline = Date.now() + o.timeoutMs
  for (;;) {
    o.signal?.throwIfAborted()
    let pods: V1Pod[]
    try {
      pods = (await c.core.listNamespacedPod({ namespace: o.namespace, labelSelector: o.labelSelector })).items
    } catch (error) {
      throw new KubernetesError(`listing pods ${o.labelSelector} in ${o.namespace} failed: ${apiErrorMessage(error)}`)
    }
    const live = pods.filter((p) => !p.metadata?.deletionTimestamp)
    const hopeless = live.map(hopelessReason).filter((r): r is string => r !== null)
    if (hopeless.length > 0) throw new KubernetesError(`${hopeless.length} of ${o.count} pods cannot start: ${hopeless.join('; ')}`)
    const ready = live.filter(isReady)
    if (ready.length >= o.count) return ready.map((p) => ({ name: p.metadata?.name ?? '?', node: p.spec?.nodeName ?? '?' }))
    if (Date.now() > deadline) {
      const waiting = live.filter((p) => !isReady(p)).map((p) => `${p.metadata?.name}: ${waitingReason(p)}`)
      const missing = o.count - live.length
      throw new KubernetesError(
        `only ${ready.length} of ${o.count} pods (${o.labelSelector}) were ready after ${o.timeoutMs / 1000} s` +
          `${waiting.length > 0 ? `; ${waiting.join('; ')}` : ''}${missing > 0 ? `; ${missing} not created (kubectl describe the owner for its events)` : ''}`,
      )
    }
    await pause(o.pollMs ?? 500, o.signal)
  }
}

function isReady(p: V1Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
}

/** Why a pod will never become ready, or null while it still may. */
function hopelessReason(p: V1Pod): string | null {
  const name = p.metadata?.name ?? '?'
  const phase = p.status?.phase
  if (phase === 'Failed') return describeFailedPod(p)
  if (phase === 'Succeeded') return `${name} exited before the run started: ${terminatedReason(p) ?? 'exit code 0'}`
  for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
    const waiting = s.state?.waiting
    if (waiting?.reason && HOPELESS_WAITING_REASONS.has(waiting.reason))
      return `${name}: container ${s.name} ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`
  }
  return null
}

function terminatedReason(p: V1Pod): string | null {
  for (const s of p.status?.containerStatuses ?? []) {
    const t = s.state?.terminated
    if (t) return `container ${s.name} exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}${t.message ? `: ${t.message}` : ''}`
  }
  return null
}

/** What a not-yet-ready pod waits for, in the cluster's words. */
function waitingReason(p: V1Pod): string {
  const unscheduled = (p.status?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False')
  if (unscheduled) return `not scheduled (${unscheduled.reason ?? '?'}: ${unscheduled.message ?? ''})`
  for (const s of p.status?.containerStatuses ?? []) {
    if (s.state?.waiting) return `container ${s.name} ${s.state.waiting.reason ?? 'waiting'}${s.state.waiting.message ? `: ${s.state.waiting.message}` : ''}`
    if (s.state?.running && !s.ready) return `container ${s.name} running, readiness probe not passing yet`
  }
  return `phase ${p.status?.phase ?? 'unknown'}`
}
