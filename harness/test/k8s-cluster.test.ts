import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadAllYaml, PatchStrategy, type KubernetesObject, type V1Job, type V1Pod } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyManifests, dryRunManifests } from '../src/k8s/cluster/apply-manifests.js'
import { connectToCluster, type ClusterConnection } from '../src/k8s/cluster/connect-to-cluster.js'
import { deployExport } from '../src/k8s/cluster/deploy-export.js'
import { waitForJobComplete } from '../src/k8s/cluster/wait-for-job-complete.js'
import { waitForPodsReady } from '../src/k8s/cluster/wait-for-pods-ready.js'
import { exportedObjects, exportManifests } from '../src/k8s/manifests/export-manifests.js'
import { freePort } from '../src/environment/free-port.js'
import type { SuiteResult } from '../src/results/results-schema.js'
import { startAgentKubelet } from './k8s-cluster/agent-kubelet.js'
import { startTestCluster, type TestCluster } from './k8s-cluster/test-cluster.js'
import { StubCrmServer } from './support/stub-crm-server.js'
import { runLoadlab } from './support/run-fixtures.js'

// The manifests of `loadlab k8s export` and the apply/wait/delete machinery against a real
// Kubernetes API server and the real Job, StatefulSet, Deployment and garbage-collection
// controllers; kwok plays three nodes. Job pods stay Running until annotated
// loadlab.test/finish=succeed|fail (see k8s-cluster/kwok-stages.yaml), as agents wait for the
// coordinator, so each test decides when a Job ends.

const FIRST_BUILD_MS = 40 * 60_000 // the binaries are built when missing: minutes on a busy machine
const WAIT_MS = 90_000
// Each test exports through the CLI (seconds on a busy machine), applies, waits and deletes.
const TEST_MS = 4 * WAIT_MS
let cluster: TestCluster | undefined
let c: ClusterConnection
const out = mkdtempSync(path.join(tmpdir(), 'loadlab-k8s-test-'))

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 3, log: (line) => process.stderr.write(`${line}\n`) })
  c = connectToCluster({ kubeconfig: cluster.kubeconfig })
}, FIRST_BUILD_MS)

afterAll(async () => {
  await cluster?.stop()
  rmSync(out, { recursive: true, force: true })
}, 60_000)

let namespaces = 0
/** A fresh namespace per test, so one test's leftovers cannot make another pass. */
async function namespace(): Promise<string> {
  const name = `loadlab-test-${++namespaces}`
  await c.core.createNamespace({ body: { metadata: { name } } })
  return name
}

/** `loadlab k8s export` through the CLI; the objects as written to disk, in apply order. */
async function exportWithCli(args: string[]): Promise<{ objects: KubernetesObject[]; dir: string }> {
  const dir = path.join(out, `export-${Math.random().toString(36).slice(2)}`)
  const run = runLoadlab(['k8s', 'export', ...args, '--out', dir])
  expect(await run.exited, run.stderr()).toBe(0)
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
  return { objects: files.flatMap((f) => loadAllYaml(readFileSync(path.join(dir, f), 'utf8')) as KubernetesObject[]), dir }
}

async function podsOf(ns: string, selector: string): Promise<V1Pod[]> {
  return (await c.core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items
}

async function finishPods(ns: string, pods: V1Pod[], how: 'succeed' | 'fail'): Promise<void> {
  for (const p of pods) {
    const patch = { apiVersion: 'v1', kind: 'Pod', metadata: { name: p.metadata?.name, namespace: ns, annotations: { 'loadlab.test/finish': how } } }
    await c.objects.patch(patch, undefined, undefined, 'loadlab-test', undefined, PatchStrategy.MergePatch)
  }
}

/** Every object (and pod) of one export still on the cluster. */
async function leftovers(ns: string, instance: string): Promise<string[]> {
  const selector = `app.kubernetes.io/instance=${instance}`
  const found: string[] = []
  for (const o of (await c.core.listNamespacedConfigMap({ namespace: ns, labelSelector: selector })).items) found.push(`ConfigMap/${o.metadata?.name}`)
  for (const o of (await c.core.listNamespacedService({ namespace: ns, labelSelector: selector })).items) found.push(`Service/${o.metadata?.name}`)
  for (const o of (await c.core.listNamespacedSecret({ namespace: ns, labelSelector: selector })).items) found.push(`Secret/${o.metadata?.name}`)
  for (const o of (await c.batch.listNamespacedJob({ namespace: ns, labelSelector: selector })).items) found.push(`Job/${o.metadata?.name}`)
  for (const o of await podsOf(ns, selector)) found.push(`Pod/${o.metadata?.name}`)
  return found
}

describe('k8s export on a real API server', { timeout: TEST_MS }, () => {
  it('dry-run, apply, N indexed agent pods and the CRM ready, the Job Complete, and everything deleted afterwards', async () => {
    const ns = await namespace()
    const { objects } = await exportWithCli(['quickstart', '--parallelism', '3', '--sut', '--namespace', ns, '--image', 'registry.example/loadlab:test'])

    await dryRunManifests(c, objects)
    expect(await leftovers(ns, 'loadlab-quickstart')).toEqual([]) // a dry-run stores nothing

    const applied = await applyManifests(c, objects)
    try {
      expect(applied.created).toHaveLength(objects.length)
      // the CRM: 2 shards, 2 replicas, the balancer
      const sut = await waitForPodsReady(c, {
        namespace: ns,
        labelSelector: 'app.kubernetes.io/instance=loadlab-quickstart,app.kubernetes.io/component in (shard,replica,balancer)',
        count: 5,
        timeoutMs: WAIT_MS,
      })
      expect(sut).toHaveLength(5)
      const ready = await waitForPodsReady(c, { namespace: ns, labelSelector: 'app.kubernetes.io/component=agent', count: 3, timeoutMs: WAIT_MS })
      // spread over the nodes (topologySpreadConstraints)
      expect(new Set(ready.map((p) => p.node)).size).toBe(3)

      const pods = await podsOf(ns, 'app.kubernetes.io/component=agent')
      expect(pods.map((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']).sort()).toEqual(['0', '1', '2'])
      // the Job controller gives each container its index, which the agent's --slice reads
      for (const p of pods) expect(p.spec?.containers[0]?.env?.some((e) => e.name === 'JOB_COMPLETION_INDEX')).toBe(true)

      await finishPods(ns, pods, 'succeed')
      const job: V1Job = await waitForJobComplete(c, { namespace: ns, name: 'loadlab-quickstart-agents', timeoutMs: WAIT_MS })
      expect(job.status?.succeeded).toBe(3)
      expect(job.status?.completedIndexes).toBe('0-2')
    } finally {
      await applied.delete()
    }
    expect(await leftovers(ns, 'loadlab-quickstart')).toEqual([])
  })

  it('a failed agent fails the run with the pod, its index and its exit reason', async () => {
    const ns = await namespace()
    const { objects } = await exportWithCli(['quickstart', '--parallelism', '2', '--sut', '--namespace', ns, '--name', 'failing'])
    await using applied = await applyManifests(c, objects)
    await waitForPodsReady(c, { namespace: ns, labelSelector: 'app.kubernetes.io/component=agent', count: 2, timeoutMs: WAIT_MS })
    const pods = await podsOf(ns, 'app.kubernetes.io/component=agent')
    const index1 = pods.filter((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] === '1')
    await finishPods(ns, index1, 'fail')
    const error = await waitForJobComplete(c, { namespace: ns, name: 'failing-agents', timeoutMs: WAIT_MS }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toContain(`pod ${index1[0]?.metadata?.name} (index 1) failed: container exit code 1 (Error)`)
    expect((error as Error).message).toMatch(/Job loadlab-test-\d+\/failing-agents failed \(BackoffLimitExceeded/)
    expect(applied.created.length).toBeGreaterThan(0)
  })

  it('an object the API server refuses creates nothing and is named with the reason', async () => {
    const ns = await namespace()
    const { objects } = await exportWithCli(['quickstart', '--parallelism', '2', '--sut', '--namespace', ns, '--name', 'refused'])
    const job = objects.find((o) => o.kind === 'Job') as V1Job
    job.spec!.template.spec!.containers[0]!.name = 'Not_A_DNS_Label'
    const error = await applyManifests(c, objects).catch((e: unknown) => e)
    expect(error).toMatchObject({ exitCode: 2 })
    expect((error as Error).message).toMatch(/refused 1 of \d+ objects \(nothing was created\): Job loadlab-test-\d+\/refused-agents: .*Not_A_DNS_Label/)
    expect(await leftovers(ns, 'refused')).toEqual([])
  })

  it('a namespace that does not exist is named, and nothing is created', async () => {
    const { objects } = await exportWithCli(['quickstart', '--parallelism', '1', '--sut', '--namespace', 'no-such-namespace'])
    await expect(applyManifests(c, objects)).rejects.toThrow(
      /ConfigMap no-such-namespace\/loadlab-quickstart-scenario: namespaces "no-such-namespace" not found/,
    )
  })
})

describe('apply, wait and delete', { timeout: TEST_MS }, () => {
  it('deployExport: the CRM and every agent ready, agents done, then deleted on dispose', async () => {
    const ns = await namespace()
    const e = await exportManifests({ scenario: 'quickstart', parallelism: 2, sut: true, namespace: ns, name: 'deployed' })
    const progress: string[] = []
    {
      await using deployed = await deployExport(c, e, { readyTimeoutMs: WAIT_MS, onProgress: (l) => progress.push(l) })
      expect(deployed.agents).toHaveLength(2)
      // the CRM was ready before the agents were waited for
      expect(progress.map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual(['applying 9 objects to', "waiting for the CRM's", 'waiting for 2 agent'])
      await finishPods(ns, await podsOf(ns, 'app.kubernetes.io/component=agent'), 'succeed')
      expect((await deployed.agentsDone(WAIT_MS)).status?.succeeded).toBe(2)
    }
    expect(await leftovers(ns, 'deployed')).toEqual([])
  })

  it('aborting (Ctrl-C) while pods wait deletes what was applied, pods included', async () => {
    const ns = await namespace()
    const e = await exportManifests({ scenario: 'quickstart', parallelism: 2, sut: true, namespace: ns, name: 'aborted' })
    // agents that can never be scheduled: the deploy waits until aborted
    const job = exportedObjects(e).find((o) => o.kind === 'Job') as V1Job
    job.spec!.template.spec!.nodeSelector = { 'loadlab.test/pool': 'does-not-exist' }
    const controller = new AbortController()
    const deploying = deployExport(c, e, { readyTimeoutMs: WAIT_MS, signal: controller.signal })
    // abort once the controllers have made every pod, as a Ctrl-C in the middle of the wait would
    for (let i = 0; (await podsOf(ns, 'app.kubernetes.io/instance=aborted')).length < 7; i++) {
      if (i > 400) throw new Error('the controllers made no pods')
      await new Promise((r) => setTimeout(r, 250))
    }
    controller.abort(new Error('interrupted by SIGINT'))
    await expect(deploying).rejects.toThrow('interrupted by SIGINT')
    expect(await leftovers(ns, 'aborted')).toEqual([])
  })

  it('names the pods that cannot be scheduled when waiting times out', async () => {
    const ns = await namespace()
    const { objects } = await exportWithCli(['quickstart', '--parallelism', '2', '--sut', '--namespace', ns, '--name', 'unschedulable'])
    const job = objects.find((o) => o.kind === 'Job') as V1Job
    job.spec!.template.spec!.nodeSelector = { 'loadlab.test/pool': 'does-not-exist' }
    await using _applied = await applyManifests(c, objects)
    // The wait times out after 5 s; what it names must not depend on how fast a busy machine's
    // controllers are, so it starts once the scheduler has marked both pods unschedulable.
    const agents = 'app.kubernetes.io/instance=unschedulable,app.kubernetes.io/component=agent'
    const unschedulable = (p: V1Pod) =>
      (p.status?.conditions ?? []).some((x) => x.type === 'PodScheduled' && x.status === 'False' && x.reason === 'Unschedulable')
    await expect.poll(async () => (await podsOf(ns, agents)).filter(unschedulable).length, { timeout: WAIT_MS, interval: 250 }).toBe(2)
    const error = await waitForPodsReady(c, { namespace: ns, labelSelector: 'app.kubernetes.io/component=agent', count: 2, timeoutMs: 5_000 }).catch(
      (e: unknown) => e,
    )
    expect((error as Error).message).toMatch(
      /only 0 of 2 pods .* were ready after 5 s; unschedulable-agents-0-\w+: not scheduled \(Unschedulable: .*node\(s\) didn't match Pod's node affinity\/selector/,
    )
  })

  it('deletes only what it created: an object that existed before the apply stays', async () => {
    const ns = await namespace()
    const { objects } = await exportWithCli(['quickstart', '--parallelism', '1', '--sut', '--namespace', ns, '--name', 'shared'])
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!
    await c.objects.patch(configMap, undefined, undefined, 'someone-else', false, PatchStrategy.ServerSideApply)
    const applied = await applyManifests(c, objects)
    expect(applied.created.map((o) => o.kind)).not.toContain('ConfigMap')
    await applied.delete()
    expect(await leftovers(ns, 'shared')).toEqual(['ConfigMap/shared-scenario'])
  })
})

/** A scenario that loads `target` (a stub CRM on loopback) with a short open load. */
function targetScenario(name: string, target: URL): string {
  const dir = mkdtempSync(path.join(out, 'scenario-'))
  const file = path.join(dir, `${name}.ts`)
  const define = path.resolve(import.meta.dirname, '../src/scenario/define-scenario.js')
  writeFileSync(
    file,
    `import { defineScenario } from ${JSON.stringify(define)}
export default defineScenario({
  name: ${JSON.stringify(name)},
  kind: 'performance',
  target: ${JSON.stringify(target.href)},
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 50, seed: 5 },
  load: { model: 'open', rate: 30, durationS: 2, maxInFlight: 8 },
  thresholds: { http_req_failed: ['rate<0.01'] },
})
`,
  )
  return file
}

describe('loadlab run --k8s on a real API server', { timeout: TEST_MS }, () => {
  // The pods name the coordinator and the target by cluster names; the test's kubelet resolves them to loopback.
  async function runK8s(name: string, ns: string, failIndexes: number[] = []) {
    const stub = new StubCrmServer()
    const target = await stub.start()
    const port = await freePort()
    const kubelet = startAgentKubelet(c, { namespace: ns, hosts: { 'coordinator.test': '127.0.0.1', 'crm.test': '127.0.0.1' }, failIndexes })
    const outDir = path.join(out, `run-${name}`)
    try {
      // prettier-ignore
      const run = runLoadlab(
        [
          'run',
          targetScenario(name, target),
          '--k8s',
          '--parallelism',
          '2',
          '--kubeconfig',
          cluster!.kubeconfig,
          '--namespace',
          ns,
          '--agent-listen',
          `127.0.0.1:${port}`,
          '--coordinator',
          `http://coordinator.test:${port}`,
          '--agent-target',
          `http://crm.test:${target.port}`,
          '--image',
          'registry.example/loadlab:test',
          '--out',
          outDir,
        ],
        { timeoutMs: 2 * WAIT_MS },
      )
      const code = await run.exited
      const results = JSON.parse(readFileSync(path.join(outDir, 'results.json'), 'utf8')) as SuiteResult
      return { code, stderr: run.stderr(), results, stub, kubelet }
    } finally {
      await kubelet.stop()
      await stub.close()
    }
  }

  it('applies the Job, the pods run slices 0 and 1 and push their results, the merged run adds up, and everything is deleted', async () => {
    const ns = await namespace()
    const { code, stderr, results, stub, kubelet } = await runK8s('k8s-pass', ns)
    expect(code, stderr).toBe(0)
    const run = results.runs[0]!
    expect(run.status).toBe('ok')
    const agents = run.generator.agents ?? []
    // each pod ran its own slice, named after its pod, and reported until done
    expect(agents.map((a) => [a.index, a.status])).toEqual([
      [0, 'done'],
      [1, 'done'],
    ])
    expect(new Set(agents.map((a) => a.name))).toEqual(new Set(kubelet.started.keys()))
    // the merged counts add up exactly: every request the pods sent is in the results, and the target saw them
    expect(agents.reduce((n, a) => n + a.sent, 0)).toBe(run.metrics.http_reqs.count)
    expect(run.metrics.http_reqs.count + (run.metrics.dropped_iterations?.count ?? 0)).toBe(60)
    expect(stub.stats.routes.get('GET /customers/:id')).toBeGreaterThanOrEqual(run.metrics.http_reqs.count)
    for (const r of kubelet.started.values()) expect(await r.exited).toBe(0)
    expect(await leftovers(ns, 'loadlab-k8s-pass')).toEqual([])
  })

  // The pod may fail before or after it turned ready: either way the message names it the same.
  it('a pod that fails fails the run naming the pod, its index and its exit, and nothing is left on the cluster', async () => {
    const ns = await namespace()
    const { code, stderr, results } = await runK8s('k8s-fail', ns, [1])
    expect(code).not.toBe(0)
    expect(results.runs[0]?.status).toBe('failed')
    expect(`${results.runs[0]?.error ?? ''}\n${stderr}`).toMatch(/pod loadlab-k8s-fail-agents-1-\w+ \(index 1\) failed: container exit code 1/)
    expect(await leftovers(ns, 'loadlab-k8s-fail')).toEqual([])
  })
})
