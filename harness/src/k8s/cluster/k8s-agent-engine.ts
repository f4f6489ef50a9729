import { AgentEngine } from '../../agents/agent-engine.js'
import type { EngineContext, ExecutionStep, LoadEngine } from '../../engines/load-engine.js'
import type { EngineSummary } from '../../metrics/sample.js'
import type { Workload } from '../../workload/workload.js'
import { agentJobName } from '../manifests/agent-job.js'
import type { ManifestExport } from '../manifests/export-manifests.js'
import type { ClusterConnection } from './connect-to-cluster.js'
import { deployExport, type DeployedExport } from './deploy-export.js'
import { describeFailedPod } from './describe-failed-pod.js'
import { KubernetesError } from './kubernetes-error.js'
import { pause } from './pause.js'

// `loadlab run --k8s`: the load engine of one planned run when its agents are the pods of an
// Indexed Job. It deploys the export (the Job; its pods run `loadlab agent` and connect back to
// this process's coordinator), lets the ordinary AgentEngine hand out slices and merge what the
// pods report, and deletes what it deployed when the run is over, failed or was interrupted.
// One Job per planned run: the coordinator ends its agents after each run, so every run starts
// from pods that measured nothing else.

export interface K8sAgentEngineOptions {
  cluster: ClusterConnection
  /** The manifests to apply (scenario ConfigMap, agents' Job), with the coordinator URL the pods use. */
  export: ManifestExport
  engine: 'native' | 'autocannon'
  /** Number of agent pods (the Job's parallelism). */
  parallelism: number
  /** Where this process's coordinator listens for the pods. */
  listen: { host: string; port: number }
  /** Shared secret the pods present (LOADLAB_AGENT_TOKEN), '' for none. */
  token: string
  /** How long the pods may take to be scheduled, pull the image and start. */
  readyTimeoutMs: number
  log(line: string): void
}

/** How often the agents' pods are looked at for failures while the run waits for them. */
const POD_POLL_MS = 1000

export class K8sAgentEngine implements LoadEngine {
  readonly name: 'native' | 'autocannon'
  private readonly agents: AgentEngine
  private deployed: DeployedExport | null = null

  constructor(private readonly o: K8sAgentEngineOptions) {
    this.name = o.engine
    this.agents = new AgentEngine({ engine: o.engine, agents: o.parallelism, listen: o.listen, token: o.token, log: o.log })
  }

  plan(w: Workload): ExecutionStep[] {
    return this.agents.plan(w).map((s) => ({ ...s, description: `${s.description}, in ${this.o.parallelism} Kubernetes pod(s)` }))
  }

  async prepare(w: Workload, target: URL, ctx: EngineContext): Promise<void> {
    await this.agents.listen()
    if (!this.deployed) {
      this.deployed = await deployExport(this.o.cluster, this.o.export, { readyTimeoutMs: this.o.readyTimeoutMs, signal: ctx.signal, onProgress: this.o.log })
    }
    // A pod that fails while the coordinator waits for it would otherwise surface only as a
    // connect timeout minutes later: watch the pods and stop the wait naming the pod and why.
    const watch = new AbortController()
    const podFailure = new AbortController()
    void this.watchPods(watch.signal, (problem) => podFailure.abort(new KubernetesError(problem)))
    try {
      await this.agents.prepare(w, target, { ...ctx, signal: AbortSignal.any([ctx.signal, podFailure.signal]) })
    } finally {
      watch.abort()
    }
  }

  async run(w: Workload, target: URL, ctx: EngineContext): Promise<EngineSummary> {
    // A pod that dies during the load is a lost agent (its connection closes): the run goes on
    // with the others and keeps what it reported. The pod's own reason goes to the log.
    const watch = new AbortController()
    void this.watchPods(watch.signal, (problem) => this.o.log(problem))
    try {
      return await this.agents.run(w, target, ctx)
    } finally {
      watch.abort()
    }
  }

  /** Ends the agents (their pods exit 0), then deletes everything this run applied. */
  async close(): Promise<void> {
    try {
      await this.agents.close()
    } finally {
      const deployed = this.deployed
      this.deployed = null
      if (deployed) {
        this.o.log(`deleting the run's objects from namespace ${this.o.export.namespace}`)
        await deployed.delete()
      }
    }
  }

  /** Calls `onFailure` once with the first agent pod that failed (its name, index and reason). */
  private async watchPods(signal: AbortSignal, onFailure: (problem: string) => void): Promise<void> {
    const selector = `batch.kubernetes.io/job-name=${agentJobName(this.o.export.base)}`
    while (!signal.aborted) {
      try {
        const pods = (await this.o.cluster.core.listNamespacedPod({ namespace: this.o.export.namespace, labelSelector: selector })).items
        const failed = pods.find((p) => p.status?.phase === 'Failed')
        if (failed) {
          onFailure(`agent ${describeFailedPod(failed)}`)
          return
        }
      } catch {
        // The API server being briefly unreachable is not the pods' failure: look again.
      }
      await pause(POD_POLL_MS, signal).catch(() => undefined)
    }
  }
}
