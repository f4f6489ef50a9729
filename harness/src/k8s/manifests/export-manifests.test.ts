import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { V1Secret, V1ConfigMap, V1Deployment, V1Job, V1Service, V1StatefulSet, KubernetesObject } from '@kubernetes/client-node'
import { afterAll, describe, expect, it } from 'vitest'
import { loadScenario } from '../../scenario/load-scenario.js'
import { BUNDLE_ENTRY, bundleScenario } from './bundle-scenario.js'
import { exportManifests, exportedObjects } from './export-manifests.js'
import { scenarioConfigMap } from './scenario-config-map.js'

const DEFINE_SCENARIO = fileURLToPath(new URL('../../scenario/define-scenario.js', import.meta.url))
const work = mkdtempSync(path.join(tmpdir(), 'loadlab-k8s-export-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** Writes a scenario project: the scenario, a helper module in another folder, a JSON import and data files. */
function scenarioProject(name: string, opts: { target?: string; dataBytes?: number; missingData?: boolean } = {}): string {
  const dir = path.join(work, name)
  mkdirSync(path.join(dir, 'scenarios', 'data'), { recursive: true })
  mkdirSync(path.join(dir, 'lib'), { recursive: true })
  writeFileSync(path.join(dir, 'scenarios', 'data', 'users.csv'), opts.dataBytes ? 'x'.repeat(opts.dataBytes) : 'id,name\n1,Ada\n2,Grace\n')
  writeFileSync(path.join(dir, 'scenarios', 'data', 'logo.bin'), Buffer.from([0, 1, 2, 255, 254]))
  writeFileSync(path.join(dir, 'lib', 'settings.json'), JSON.stringify({ rate: 40 }))
  writeFileSync(
    path.join(dir, 'lib', 'shared.ts'),
    `import { readFileSync } from 'node:fs'
     import settings from './settings.json'
     export const rate: number = settings.rate
     // a data file named relative to this helper, not to the scenario
     export const logoBytes = readFileSync(new URL('../scenarios/data/logo.bin', import.meta.url)).length\n`,
  )
  writeFileSync(
    path.join(dir, 'scenarios', `${name}.ts`),
    `import { readFileSync } from 'node:fs'
     import { defineScenario } from ${JSON.stringify(DEFINE_SCENARIO)}
     import { logoBytes, rate } from '../lib/shared.js'
     const users = readFileSync(new URL('./data/${opts.missingData ? 'absent.csv' : 'users.csv'}', import.meta.url), 'utf8')
     export default defineScenario({
       name: '${name}',
       kind: 'performance',
       description: users.split('\\n')[1] + ' / ' + logoBytes + ' bytes',
       ${opts.target ? `target: '${opts.target}',` : 'topology: { replicas: 1, shards: 1 },'}
       workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 100 },
       load: { model: 'open', rate, durationS: 5 },
     })\n`,
  )
  return path.join(dir, 'scenarios', `${name}.ts`)
}

/** Lays a ConfigMap out as Kubernetes mounts it: one file per key. */
function mountConfigMap(cm: V1ConfigMap, dir: string): void {
  mkdirSync(dir, { recursive: true })
  for (const [key, value] of Object.entries(cm.data ?? {})) writeFileSync(path.join(dir, key), value)
  for (const [key, value] of Object.entries(cm.binaryData ?? {})) writeFileSync(path.join(dir, key), Buffer.from(value, 'base64'))
}

function find<T extends KubernetesObject>(objects: KubernetesObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name)
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`)
  return found as T
}

describe('bundleScenario', () => {
  it('makes one module that, mounted from its ConfigMap without the project, loads as the same scenario with its data files', async () => {
    const file = scenarioProject('bundled')
    const original = await loadScenario(file)
    const bundle = await bundleScenario(file)
    expect(bundle.dataFiles.map((f) => f.key).sort()).toEqual(['logo.bin', 'users.csv'])
    const cm = scenarioConfigMap('loadlab-bundled', 'default', bundle)
    expect(Object.keys(cm.data ?? {}).sort()).toEqual([BUNDLE_ENTRY, 'users.csv'])
    expect(Object.keys(cm.binaryData ?? {})).toEqual(['logo.bin'])

    const pod = path.join(work, 'pod-mount')
    mountConfigMap(cm, pod)
    const inPod = await loadScenario(path.join(pod, BUNDLE_ENTRY))
    expect(inPod.description).toBe('1,Ada / 5 bytes')
    expect({ ...inPod, file: null }).toEqual({ ...original, file: null })
  })

  it('names a data file the scenario reads that does not exist', async () => {
    const file = scenarioProject('missing-data', { missingData: true })
    await expect(bundleScenario(file)).rejects.toThrow(/reads \.\/data\/absent\.csv, which is not a file/)
  })

  it('refuses a bundle over the 1 MiB a ConfigMap holds, naming the largest file', async () => {
    const file = scenarioProject('too-big', { dataBytes: 1100 * 1024 })
    const bundle = await bundleScenario(file)
    expect(() => scenarioConfigMap('loadlab-too-big', 'default', bundle)).toThrow(/more than the 1 MiB .*users\.csv 1100\.0 KiB/)
  })
})

describe('exportManifests', () => {
  it('writes an Indexed Job of N agents that read their slice from JOB_COMPLETION_INDEX and reach the coordinator Service', async () => {
    const file = scenarioProject('one-replica')
    const e = await exportManifests({ scenario: file, parallelism: 4, namespace: 'load', image: 'registry.example/loadlab:1', sut: true })
    const objects = exportedObjects(e)
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'ConfigMap/loadlab-one-replica-scenario',
      'Service/loadlab-one-replica-shard',
      'StatefulSet/loadlab-one-replica-shard',
      'Service/loadlab-one-replica-replica',
      'StatefulSet/loadlab-one-replica-replica',
      // one replica: the entry Service selects it, no balancer
      'Service/loadlab-one-replica-sut',
      'Service/loadlab-one-replica-coordinator',
      'Job/loadlab-one-replica-agents',
    ])
    expect(objects.every((o) => o.metadata?.namespace === 'load')).toBe(true)
    const job = find<V1Job>(objects, 'Job', 'loadlab-one-replica-agents')
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimit: 0 })
    const agent = job.spec?.template.spec?.containers[0]
    expect(agent?.image).toBe('registry.example/loadlab:1')
    expect(agent?.args?.join(' ')).toContain('--slice $(JOB_COMPLETION_INDEX)/$(LOADLAB_AGENT_COUNT)')
    const env = Object.fromEntries((agent?.env ?? []).map((v) => [v.name, v.value]))
    expect(env).toMatchObject({ LOADLAB_AGENT_COUNT: '4', LOADLAB_COORDINATOR_URL: 'http://loadlab-one-replica-coordinator:7070' })
    expect(env.LOADLAB_TARGET).toBe('http://loadlab-one-replica-sut:8080')
    expect(job.spec?.template.spec?.volumes?.[0]?.configMap?.name).toBe('loadlab-one-replica-scenario')
  })

  it('points the agents at a given coordinator URL instead of writing the Service', async () => {
    const e = await exportManifests({ scenario: scenarioProject('own-coordinator'), parallelism: 2, coordinator: 'http://10.1.2.3:7070', sut: true })
    const objects = exportedObjects(e)
    expect(objects.some((o) => o.metadata?.name === 'loadlab-own-coordinator-coordinator')).toBe(false)
    const env = find<V1Job>(objects, 'Job', 'loadlab-own-coordinator-agents').spec?.template.spec?.containers[0]?.env
    expect(env?.find((v) => v.name === 'LOADLAB_COORDINATOR_URL')?.value).toBe('http://10.1.2.3:7070')
  })

  it('with --sut deploys the chosen matrix cell: shards and replicas addressable one by one, the balancer in front, agents loading it', async () => {
    const e = await exportManifests({ scenario: 'quickstart', parallelism: 2, sut: true, cell: 2 })
    expect(e.cell).toEqual({ index: 2, count: 3, label: 'cache=lru' })
    const objects = exportedObjects(e)
    const shards = find<V1StatefulSet>(objects, 'StatefulSet', 'loadlab-quickstart-shard')
    const replicas = find<V1StatefulSet>(objects, 'StatefulSet', 'loadlab-quickstart-replica')
    expect(shards.spec?.replicas).toBe(2)
    expect(replicas.spec?.replicas).toBe(2)
    const replicaArgs = replicas.spec?.template.spec?.containers[0]?.args ?? []
    expect(replicaArgs[replicaArgs.indexOf('--shards') + 1]).toBe(
      'http://loadlab-quickstart-shard-0.loadlab-quickstart-shard:7001,http://loadlab-quickstart-shard-1.loadlab-quickstart-shard:7001',
    )
    expect(replicaArgs[replicaArgs.indexOf('--cache') + 1]).toBe('lru')
    const shardArgs = shards.spec?.template.spec?.containers[0]?.args ?? []
    expect(shardArgs.slice(shardArgs.indexOf('--service-time'), shardArgs.indexOf('--service-time') + 2)).toEqual(['--service-time', 'constant:20'])
    const balancerArgs = find<V1Deployment>(objects, 'Deployment', 'loadlab-quickstart-balancer').spec?.template.spec?.containers[0]?.args ?? []
    expect(balancerArgs[balancerArgs.indexOf('--strategy') + 1]).toBe('consistent-hash')
    expect(balancerArgs[balancerArgs.indexOf('--backends') + 1]).toContain('loadlab-quickstart-replica-1.loadlab-quickstart-replica:8080')
    expect(find<V1Service>(objects, 'Service', 'loadlab-quickstart-sut').spec?.selector).toMatchObject({ 'app.kubernetes.io/component': 'balancer' })
    const env = find<V1Job>(objects, 'Job', 'loadlab-quickstart-agents').spec?.template.spec?.containers[0]?.env
    expect(env?.find((v) => v.name === 'LOADLAB_TARGET')?.value).toBe('http://loadlab-quickstart-sut:8080')
    // the CRM is applied before the agents that load it
    expect(e.manifests.map((m) => m.name)).toEqual(['10-scenario.yaml', '20-sut.yaml', '30-agents.yaml'])
  })

  it.each([
    [{ scenario: 'quickstart', parallelism: 2 }, /describes a topology .* add --sut/],
    [{ scenario: 'quickstart', parallelism: 0 }, /--parallelism 0: give the number of agent pods/],
    [{ scenario: 'quickstart', parallelism: 2, sut: true, cell: 9 }, /--cell 9: quickstart has 3 cell\(s\): 1 = cache=none/],
    [{ scenario: 'quickstart', parallelism: 2, namespace: 'Load_Test' }, /--namespace "Load_Test"/],
    [{ scenario: 'quickstart', parallelism: 2, name: 'x'.repeat(41) }, /--name "x+": at most 40 characters/],
    [{ scenario: 'quickstart', parallelism: 2, coordinator: 'coordinator:7070' }, /--coordinator "coordinator:7070": give the http\(s\) URL/],
    [{ scenario: 'quickstart', parallelism: 2, cell: 2 }, /--cell picks the topology --sut deploys/],
    [
      { scenario: 'compare-sync', parallelism: 2, sut: true, cell: 3 },
      /does not deploy a downstream system or a broker yet \(topology.sync.strategy "queue-push"\)/,
    ],
    [
      { scenario: 'compare-brokers', parallelism: 2, sut: true, cell: 2 },
      /does not deploy a downstream system or a broker yet \(topology.sync.strategy "queue-push"\)/,
    ],
  ])('refuses %o with exit code 2 and a message naming the fix', async (options, message) => {
    const error = await exportManifests(options).catch((e: unknown) => e)
    expect(error).toMatchObject({ exitCode: 2, message: expect.stringMatching(message) })
  })

  it('sends the pods to --agent-target when this machine reaches the target on loopback, and hands them the token in a Secret', async () => {
    const file = scenarioProject('forwarded', { target: 'http://127.0.0.1:8080' })
    const e = await exportManifests({
      scenario: file,
      parallelism: 2,
      agentTarget: 'http://crm.shop.svc:8080',
      agentToken: 's3cret',
      coordinator: 'http://10.1.2.3:7070',
    })
    const objects = exportedObjects(e)
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', 'Secret', 'Job'])
    const secret = find<V1Secret>(objects, 'Secret', 'loadlab-forwarded-agent-token')
    expect(secret.stringData).toEqual({ token: 's3cret' })
    const agent = find<V1Job>(objects, 'Job', 'loadlab-forwarded-agents').spec?.template.spec?.containers[0]
    expect(agent?.env?.find((v) => v.name === 'LOADLAB_TARGET')?.value).toBe('http://crm.shop.svc:8080')
    expect(agent?.args?.join(' ')).toContain('--target $(LOADLAB_TARGET)')
    // the token never appears in the Job's spec, only a reference to the Secret
    expect(agent?.env?.find((v) => v.name === 'LOADLAB_AGENT_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'loadlab-forwarded-agent-token', key: 'token' })
    expect(JSON.stringify(find<V1Job>(objects, 'Job', 'loadlab-forwarded-agents'))).not.toContain('s3cret')
  })

  it('refuses an --agent-target on loopback or next to --sut', async () => {
    const file = scenarioProject('forwarded-bad', { target: 'http://127.0.0.1:8080' })
    await expect(exportManifests({ scenario: file, parallelism: 2, agentTarget: 'http://localhost:8080' })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/--agent-target http:\/\/localhost:8080 is, inside a pod, the pod itself/),
    })
    await expect(exportManifests({ scenario: 'quickstart', parallelism: 2, sut: true, agentTarget: 'http://crm:8080' })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/with --sut they load the CRM this export deploys/),
    })
  })

  it('refuses a target on loopback, which inside a pod is the pod itself', async () => {
    const file = scenarioProject('loopback', { target: 'http://127.0.0.1:8080' })
    await expect(exportManifests({ scenario: file, parallelism: 2 })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/inside a pod is the pod itself/),
    })
  })
})
