import { ApiException } from '@kubernetes/client-node'

/**
 * Something went wrong on the cluster: an object the API server refused, a pod that failed or never
 * became ready, a Job that failed. The message names the object and the cluster's reason.
 * `exitCode` 2 when the user's input or configuration is at fault (no kubeconfig, an unknown
 * context, a manifest the API server rejects), 1 otherwise.
 */
export class KubernetesError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message)
    this.name = 'KubernetesError'
  }
}

/** The API server's own words for a failed call (its Status message), or the client's error. */
export function apiErrorMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = typeof error.body === 'string' ? safeJson(error.body) : error.body
    const message = (body as { message?: unknown } | null)?.message
    return typeof message === 'string' ? `${message} (HTTP ${error.code})` : `HTTP ${error.code}`
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause
  if (cause?.code === 'ECONNREFUSED' || cause?.code === 'ENOTFOUND')
    return `${cause.message ?? cause.code}: is the cluster running and the kubeconfig's server right?`
  return error instanceof Error ? error.message : String(error)
}

/** HTTP status of a failed API call, or null when the call did not reach the API server. */
export function apiErrorCode(error: unknown): number | null {
  return error instanceof ApiException ? error.code : null
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return { message: text }
  }
}
