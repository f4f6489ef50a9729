import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'
import { BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node'
import { KubernetesError } from './kubernetes-error.js'

/** One cluster, reached through one kubeconfig context: the API clients the other modules use. */
export interface ClusterConnection {
  kubeConfig: KubeConfig
  context: string
  /** The API server's URL, for messages. */
  server: string
  objects: KubernetesObjectApi
  core: CoreV1Api
  batch: BatchV1Api
}

export interface ConnectOptions {
  /** A kubeconfig file; default: $KUBECONFIG, then ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string
  /** A context of that kubeconfig; default: its current context. */
  context?: string
}

/**
 * Reads the kubeconfig the way kubectl does and makes the API clients. Contacts no server.
 * Throws KubernetesError (exit 2) when no configuration is found or the context does not exist.
 */
export function connectToCluster(o: ConnectOptions = {}): ClusterConnection {
  const kubeConfig = new KubeConfig()
  try {
    if (o.kubeconfig !== undefined) {
      if (!existsSync(o.kubeconfig)) throw new Error(`${o.kubeconfig} does not exist`)
      kubeConfig.loadFromFile(o.kubeconfig)
    } else if (process.env.KUBECONFIG || existsSync(path.join(homedir(), '.kube', 'config')) || process.env.KUBERNETES_SERVICE_HOST) {
      kubeConfig.loadFromDefault()
    } else {
      // loadFromDefault would fall back to http://localhost:8080, which is never what the user meant.
      throw new KubernetesError('no Kubernetes configuration found: set KUBECONFIG (or --kubeconfig), or create ~/.kube/config', 2)
    }
  } catch (error) {
    if (error instanceof KubernetesError) throw error
    throw new KubernetesError(`the kubeconfig could not be read: ${error instanceof Error ? error.message : String(error)}`, 2)
  }
  if (o.context !== undefined) {
    const names = kubeConfig.getContexts().map((c) => c.name)
    if (!names.includes(o.context)) {
      throw new KubernetesError(`--context "${o.context}" is not in the kubeconfig; its contexts: ${names.join(', ') || '(none)'}`, 2)
    }
    kubeConfig.setCurrentContext(o.context)
  }
  const cluster = kubeConfig.getCurrentCluster()
  if (!cluster) {
    throw new KubernetesError('no Kubernetes cluster configured: set KUBECONFIG, or create ~/.kube/config (kubectl config set-cluster ...)', 2)
  }
  return {
    kubeConfig,
    context: kubeConfig.getCurrentContext(),
    server: cluster.server,
    objects: KubernetesObjectApi.makeApiClient(kubeConfig),
    core: kubeConfig.makeApiClient(CoreV1Api),
    batch: kubeConfig.makeApiClient(BatchV1Api),
  }
}
