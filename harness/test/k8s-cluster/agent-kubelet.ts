import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PatchStrategy, type V1Container, type V1Pod } from '@kubernetes/client-node'
import type { ClusterConnection } from '../../src/k8s/cluster/connect-to-cluster.js'
import { runLoadlab, type CliRun } from '../support/run-fixtures.js'

// kwok plays the nodes but runs no container. For `loadlab run --k8s` tests this plays the part
// of the kubelet for agent pods: when kwok marks a pod Running, it starts what the pod spec says
// (`loadlab agent` with the spec's args, `$(VAR)` expanded from the spec's env, which resolves
// fieldRefs, Secrets and JOB_COMPLETION_INDEX as Kubernetes does; ConfigMap volumes written to a
// folder) as a local process, and when that process exits it finishes the pod with its exit code
// through kwok's loadlab.test/finish annotation. `hosts` plays the cluster's DNS: names the
// pods use, mapped to 127.0.0.1 addresses.

export interface AgentKubeletOptions {
  namespace: string
  /** Host names in the pods' URLs and the address each stands for. */
  hosts: Record<string, string>
  /** Pods with these completion indexes fail at start (exit 1) instead of running the agent. */
  failIndexes?: number[]
}

export interface AgentKubelet {
  /** The agent processes started, by pod name. */
  started: Map<string, CliRun>
  stop(): Promise<void>
}

export function startAgentKubelet(c: ClusterConnection, o: AgentKubeletOptions): AgentKubelet {
  const started = new Map<string, CliRun>()
  const volumes = mkdtempSync(path.join(tmpdir(), 'loadlab-kubelet-'))
  let stopped = false

  const finish = async (pod: V1Pod, how: 'succeed' | 'fail'): Promise<void> => {
    const patch = { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata?.name, namespace: o.namespace, annotations: { 'loadlab.test/finish': how } } }
    await c.objects.patch(patch, undefined, undefined, 'agent-kubelet', undefined, PatchStrategy.MergePatch).catch(() => undefined)
  }

  const start = async (pod: V1Pod): Promise<void> => {
    const name = pod.metadata?.name ?? '?'
    const index = pod.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] ?? ''
    if (o.failIndexes?.includes(Number(index))) {
      await finish(pod, 'fail')
      return
    }
    const container = pod.spec?.containers[0] as V1Container
    const env: Record<string, string> = { JOB_COMPLETION_INDEX: index }
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value
      else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = name
      else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef
        const secret = await c.core.readNamespacedSecret({ name: ref.name ?? '', namespace: o.namespace })
        env[e.name] = Buffer.from(secret.data?.[ref.key] ?? '', 'base64').toString()
      }
    }
    let rewrite = (s: string): string => s.replace(/\$\((\w+)\)/g, (_, v: string) => env[v] ?? '')
    for (const mount of container.volumeMounts ?? []) {
      const volume = pod.spec?.volumes?.find((v) => v.name === mount.name)
      if (!volume?.configMap) continue
      const dir = path.join(volumes, name, mount.name)
      mkdirSync(dir, { recursive: true })
      const cm = await c.core.readNamespacedConfigMap({ name: volume.configMap.name ?? '', namespace: o.namespace })
      for (const [key, text] of Object.entries(cm.data ?? {})) writeFileSync(path.join(dir, key), text)
      for (const [key, b64] of Object.entries(cm.binaryData ?? {})) writeFileSync(path.join(dir, key), Buffer.from(b64, 'base64'))
      const previous = rewrite
      rewrite = (s) => previous(s).split(mount.mountPath).join(dir)
    }
    const resolveHosts = (s: string): string => Object.entries(o.hosts).reduce((t, [host, ip]) => t.split(`//${host}:`).join(`//${ip}:`), s)
    if (container.command?.join(' ') !== 'loadlab agent') throw new Error(`pod ${name} runs ${container.command?.join(' ')}, not loadlab agent`)
    const args = (container.args ?? []).map((a) => resolveHosts(rewrite(a)))
    const run = runLoadlab(['agent', ...args], { env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, resolveHosts(rewrite(v))])) })
    started.set(name, run)
    void run.exited.then((code) => finish(pod, code === 0 ? 'succeed' : 'fail'))
  }

  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        const pods = (await c.core.listNamespacedPod({ namespace: o.namespace, labelSelector: 'app.kubernetes.io/component=agent' })).items
        for (const pod of pods) {
          const name = pod.metadata?.name ?? ''
          if (pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && !started.has(name) && !pending.has(name)) {
            pending.add(name)
            await start(pod)
          }
        }
      } catch {
        // the API server is busy or the namespace is going: look again
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  const pending = new Set<string>()
  const looping = loop()

  return {
    started,
    async stop() {
      stopped = true
      await looping
      for (const run of started.values()) if (run.child.exitCode === null) run.child.kill('SIGKILL')
      rmSync(volumes, { recursive: true, force: true })
    },
  }
}
