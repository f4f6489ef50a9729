import { setTimeout as sleep } from 'node:timers/promises'
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node'
import type { ClusterConnection } from './connect-to-cluster.js'
import { apiErrorCode, apiErrorMessage, KubernetesError } from './kubernetes-error.js'

/** Field manager of LoadLab's server-side applies (shown in each object's managedFields). */
export const FIELD_MANAGER = 'loadlab'
const DELETE_POLL_MS = 250
const DEFAULT_DELETE_TIMEOUT_MS = 120_000

/** "Job default/loadlab-x-agents": how messages name an object. */
export function describeObject(o: KubernetesObject): string {
  return `${o.kind ?? '?'} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`
}

/**
 * Server-side dry-run of every object: the API server validates and defaults them (schema,
 * admission, the namespace exists) without storing anything. Throws one KubernetesError (exit 2)
 * naming every object it refused and why.
 */
export async function dryRunManifests(c: ClusterConnection, objects: readonly KubernetesObject[]): Promise<void> {
  const refused: string[] = []
  for (const o of objects) {
    try {
      await c.objects.patch(o, undefined, 'All', FIELD_MANAGER, false, PatchStrategy.ServerSideApply)
    } catch (error) {
      refused.push(`${describeObject(o)}: ${apiErrorMessage(error)}`)
    }
  }
  if (refused.length > 0) {
    throw new KubernetesError(
      `the cluster at ${c.server} refused ${refused.length} of ${objects.length} objects (nothing was created): ${refused.join('; ')}`,
      2,
    )
  }
}

/**
 * Applies objects (server-side apply, in the given order) after a dry-run of all of them, so a bad
 * manifest creates nothing. Remembers which objects did not exist before: only those are deleted
 * afterwards, so an object the user already had (a namespace, a shared Service) survives the run.
 * When applying fails part-way, or `signal` aborts, what was created so far is deleted before the
 * error is thrown.
 */
export async function applyManifests(c: ClusterConnection, objects: readonly KubernetesObject[], signal?: AbortSignal): Promise<AppliedManifests> {
  await dryRunManifests(c, objects)
  const applied = new AppliedManifests(c)
  try {
    for (const o of objects) {
      signal?.throwIfAborted()
      const existed = await exists(c, o)
      try {
        await c.objects.patch(o, undefined, undefined, FIELD_MANAGER, false, PatchStrategy.ServerSideApply)
      } catch (error) {
        throw new KubernetesError(`applying ${describeObject(o)} failed: ${apiErrorMessage(error)}`)
      }
      if (!existed) applied.created.push(o)
    }
    return applied
  } catch (error) {
    try {
      await applied.delete()
    } catch (cleanup) {
      // Both matter: why the apply stopped, and what is left on the cluster.
      const reason = error instanceof Error ? error.message : String(error)
      throw new KubernetesError(`${reason}; then ${(cleanup as Error).message}`)
    }
    throw error
  }
}

/** What one apply created, to be deleted when the run ends (also on error and Ctrl-C). */
export class AppliedManifests implements AsyncDisposable {
  /** The objects this apply created, in creation order. */
  readonly created: KubernetesObject[] = []
  private deleting: Promise<void> | null = null

  constructor(private readonly c: ClusterConnection) {}

  /**
   * Deletes what was created (newest first, with the objects they own: a Job's pods, a
   * StatefulSet's pods) and resolves once the API server no longer has any of them. Takes no abort
   * signal: clean-up must also finish after Ctrl-C. Safe to call twice; the second call waits for
   * the first. Throws KubernetesError naming what is still there after `timeoutMs`.
   */
  delete(timeoutMs = DEFAULT_DELETE_TIMEOUT_MS): Promise<void> {
    this.deleting ??= this.deleteAll(timeoutMs)
    return this.deleting
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.delete()
  }

  private async deleteAll(timeoutMs: number): Promise<void> {
    const failures: string[] = []
    for (const o of [...this.created].reverse()) {
      try {
        // Foreground: the object goes only after what it owns, so "gone" below means pods too.
        await this.c.objects.delete(o, undefined, undefined, undefined, undefined, 'Foreground')
      } catch (error) {
        if (apiErrorCode(error) !== 404) failures.push(`${describeObject(o)}: ${apiErrorMessage(error)}`)
      }
    }
    const deadline = Date.now() + timeoutMs
    let remaining = [...this.created]
    while (remaining.length > 0) {
      const stillThere: KubernetesObject[] = []
      for (const o of remaining) if (await exists(this.c, o)) stillThere.push(o)
      remaining = stillThere
      if (remaining.length === 0) break
      if (Date.now() > deadline) {
        failures.push(`still there after ${timeoutMs / 1000} s: ${remaining.map(describeObject).join(', ')}`)
        break
      }
      await sleep(DELETE_POLL_MS)
    }
    if (failures.length > 0) throw new KubernetesError(`could not delete what the run created on ${this.c.server}: ${failures.join('; ')}`)
  }
}

async function exists(c: ClusterConnection, o: KubernetesObject): Promise<boolean> {
  try {
    await c.objects.read({ apiVersion: o.apiVersion ?? '', kind: o.kind ?? '', metadata: { name: o.metadata?.name ?? '', namespace: o.metadata?.namespace } })
    return true
  } catch (error) {
    if (apiErrorCode(error) === 404) return false
    throw new KubernetesError(`reading ${describeObject(o)} failed: ${apiErrorMessage(error)}`)
  }
}
