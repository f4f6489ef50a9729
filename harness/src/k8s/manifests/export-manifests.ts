import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { dumpYaml, type KubernetesObject } from '@kubernetes/client-node'
import { toolVersion } from '../../runner/tool-version.js'
import { UsageError } from '../../runner/usage-error.js'
import { loadScenario } from '../../scenario/load-scenario.js'
import { planRuns } from '../../scenario/plan-runs.js'
import type { Scenario, Topology } from '../../scenario/scenario.js'
import { agentDockerfile, agentDockerignore } from './agent-dockerfile.js'
import { agentJob } from './agent-job.js'
import { agentTokenSecret } from './agent-token-secret.js'
import { bundleScenario } from './bundle-scenario.js'
import { coordinatorService, coordinatorServiceUrl } from './coordinator-service.js'
import { baseNameProblem, defaultBaseName } from './k8s-labels.js'
import { scenarioConfigMap } from './scenario-config-map.js'
import { sutEntrypointUrl, sutManifests } from './sut-manifests.js'

export interface ExportOptions {
  /** Scenario file or name, as `loadlab run` takes it. */
  scenario: string
  /** Number of agent pods; each takes slice i of N of the load. */
  parallelism: number
  /** Image of the agents (and of the CRM's members with `sut`). */
  image?: string
  namespace?: string
  /** Base of every object's name (default "loadlab-<scenario name>"). */
  name?: string
  /** URL agents push to; default: the coordinator Service this export writes. */
  coordinator?: string
  /** Where the pods reach the scenario's `target` when that differs from where this machine reaches it (a Service name). */
  agentTarget?: string
  /** Shared secret the pods present to the coordinator: written as a Secret the agents read. */
  agentToken?: string
  /** Deploy the reference CRM with the scenario's topology. */
  sut?: boolean
  /** With `sut`: the matrix cell whose topology to deploy (1 = first). */
  cell?: number
  /** Fixes the range-partition window (tests). */
  now?: Date
}

export interface ManifestFile {
  /** File name in the output folder; the numeric prefix is the order `kubectl apply -f <folder>` uses. */
  name: string
  objects: KubernetesObject[]
}

export interface ManifestExport {
  scenario: Scenario
  base: string
  namespace: string
  image: string
  /** In apply order: scenario ConfigMap, the CRM (with `sut`), then the coordinator Service and the agents' Job. */
  manifests: ManifestFile[]
  /** Where agents send their load: the deployed CRM's Service, or null for the scenario's own `target`. */
  targetUrl: string | null
  /** With `sut`: which matrix cell was deployed, and how many there are. */
  cell: { index: number; count: number; label: string } | null
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const MAX_PARALLELISM = 10_000

/**
 * Turns a scenario into the Kubernetes objects of a distributed run: the bundled scenario as a
 * ConfigMap, an Indexed Job of N agents, a Service through which they reach the coordinator and,
 * with `sut`, the reference CRM. Validates every option and the scenario first (UsageError or
 * ScenarioError, exit 2); writes nothing (see writeManifestExport).
 */
export async function exportManifests(o: ExportOptions): Promise<ManifestExport> {
  if (!Number.isInteger(o.parallelism) || o.parallelism < 1 || o.parallelism > MAX_PARALLELISM) {
    throw new UsageError(`--parallelism ${o.parallelism}: give the number of agent pods, a whole number from 1 to ${MAX_PARALLELISM}`)
  }
  const namespace = o.namespace ?? 'default'
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    throw new UsageError(`--namespace "${namespace}": a namespace is at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit`)
  }
  const image = o.image ?? `loadlab:${toolVersion()}`
  if (image.trim() === '' || /\s/.test(image))
    throw new UsageError(`--image "${image}": give an image reference such as registry.example.com/loadlab:${toolVersion()}`)
  if (o.name !== undefined) {
    const problem = baseNameProblem(o.name)
    if (problem) throw new UsageError(`--name "${o.name}": ${problem}`)
  }
  if (o.coordinator !== undefined && !isHttpUrl(o.coordinator)) {
    throw new UsageError(`--coordinator "${o.coordinator}": give the http(s) URL at which the agent pods reach the coordinator, e.g. http://10.0.0.5:7070`)
  }
  if (o.agentTarget !== undefined && !isHttpUrl(o.agentTarget)) {
    throw new UsageError(`--agent-target "${o.agentTarget}": give the http(s) URL at which the agent pods reach the target, e.g. http://crm.default.svc:8080`)
  }
  if (o.agentTarget !== undefined && o.sut)
    throw new UsageError('--agent-target names where the pods reach a target of your own; with --sut they load the CRM this export deploys: leave one out')
  if (o.cell !== undefined && !o.sut) throw new UsageError('--cell picks the topology --sut deploys: add --sut, or leave --cell out')

  const scenario = await loadScenario(o.scenario)
  if (!scenario.file) throw new UsageError(`${scenario.name} was not loaded from a file; only scenario files can be exported`)
  const base = o.name ?? defaultBaseName(scenario.name)

  let targetUrl: string | null = null
  let sutObjects: KubernetesObject[] = []
  let cell: ManifestExport['cell'] = null
  if (o.sut) {
    if (!scenario.topology) {
      throw new UsageError(`--sut deploys the reference CRM, but ${scenario.name} targets ${scenario.target?.href}: leave --sut out to load that target`)
    }
    const picked = pickCell(scenario, o.cell ?? 1)
    cell = { index: picked.index, count: picked.count, label: picked.label }
    sutObjects = sutManifests(base, namespace, picked.topology, image, o.now)
    targetUrl = sutEntrypointUrl(base)
  } else if (scenario.topology) {
    throw new UsageError(`${scenario.name} describes a topology for LoadLab to start: add --sut to deploy the reference CRM with that topology in the cluster`)
  } else if (o.agentTarget !== undefined) {
    if (isLoopback(new URL(o.agentTarget)))
      throw new UsageError(
        `--agent-target ${o.agentTarget} is, inside a pod, the pod itself: give an address the pods can reach (a Service name, or a host outside the cluster)`,
      )
    targetUrl = o.agentTarget
  } else if (scenario.target && isLoopback(scenario.target)) {
    throw new UsageError(
      `${scenario.name} targets ${scenario.target.href}, which inside a pod is the pod itself: ` +
        'point `target` at an address the pods can reach (a Service name, or a host outside the cluster), or add --agent-target with one',
    )
  }

  const bundle = await bundleScenario(scenario.file)
  const coordinatorUrl = o.coordinator ?? coordinatorServiceUrl(base)
  const tokenSecret = o.agentToken ? agentTokenSecret(base, namespace, o.agentToken) : null
  const agents = { image, parallelism: o.parallelism, coordinatorUrl, targetUrl, tokenSecret: tokenSecret?.metadata?.name ?? null }
  const manifests: ManifestFile[] = [{ name: '10-scenario.yaml', objects: [scenarioConfigMap(base, namespace, bundle)] }]
  if (sutObjects.length > 0) manifests.push({ name: '20-sut.yaml', objects: sutObjects })
  manifests.push({
    name: '30-agents.yaml',
    objects: [
      ...(o.coordinator === undefined ? [coordinatorService(base, namespace)] : []),
      ...(tokenSecret ? [tokenSecret] : []),
      agentJob(base, namespace, agents),
    ],
  })
  return { scenario, base, namespace, image, manifests, targetUrl, cell }
}

/** Every object of an export, in apply order. */
export function exportedObjects(e: ManifestExport): KubernetesObject[] {
  return e.manifests.flatMap((m) => m.objects)
}

/**
 * Writes the export into `outDir`: one YAML file per part (numbered in apply order, so
 * `kubectl apply -f <outDir>` works), the image's Dockerfile and its .dockerignore.
 * Returns the paths written.
 */
export function writeManifestExport(e: ManifestExport, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true })
  const source = e.scenario.file ? path.relative(process.cwd(), e.scenario.file) : e.scenario.name
  const header = `# Written by \`loadlab k8s export\` ${toolVersion()} from ${source}. Apply with: kubectl apply -f ${path.relative(process.cwd(), outDir) || '.'}\n`
  const written: string[] = []
  for (const m of e.manifests) {
    const file = path.join(outDir, m.name)
    writeFileSync(file, header + m.objects.map((obj) => dumpYaml(obj)).join('---\n'))
    written.push(file)
  }
  for (const [name, content] of [
    ['Dockerfile', agentDockerfile()],
    ['Dockerfile.dockerignore', agentDockerignore()],
  ] as const) {
    const file = path.join(outDir, name)
    writeFileSync(file, content)
    written.push(file)
  }
  return written
}

function pickCell(scenario: Scenario, cellNumber: number): { topology: Topology; index: number; count: number; label: string } {
  const cells = [...new Map(planRuns(scenario).runs.map((r) => [r.cellLabel, r])).values()]
  const run = cells[cellNumber - 1]
  if (!run?.topology) {
    throw new UsageError(`--cell ${cellNumber}: ${scenario.name} has ${cells.length} cell(s): ${cells.map((c, i) => `${i + 1} = ${c.cellLabel}`).join(', ')}`)
  }
  return { topology: run.topology, index: cellNumber, count: cells.length, label: run.cellLabel }
}

function isHttpUrl(s: string): boolean {
  try {
    const url = new URL(s)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '[::1]' || url.hostname.startsWith('127.')
}
