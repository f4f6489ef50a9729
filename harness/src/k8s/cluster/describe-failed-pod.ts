import type { V1Pod } from '@kubernetes/client-node'

/** "pod NAME (index I) failed: container exit code 1 (Error): message", from what the kubelet recorded. */
export function describeFailedPod(p: V1Pod): string {
  const index = p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']
  const t = p.status?.containerStatuses?.find((s) => s.state?.terminated)?.state?.terminated
  const why = t
    ? `container exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}${t.message ? `: ${t.message}` : ''}`
    : (p.status?.reason ?? p.status?.message ?? 'no reason given')
  return `pod ${p.metadata?.name ?? '?'}${index !== undefined ? ` (index ${index})` : ''} failed: ${why}`
}
