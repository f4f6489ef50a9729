import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { imageBuildCommand } from '../k8s/manifests/agent-dockerfile.js'
import { exportManifests, writeManifestExport } from '../k8s/manifests/export-manifests.js'
import { UsageError } from '../runner/usage-error.js'
import { checkOutputFolder, prepareOutputFolder } from './output-folder.js'

/** Root of this LoadLab checkout (the image's build context); this file is harness/{src,dist}/cli/. */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url))

export interface K8sExportFlags {
  parallelism: number
  image?: string
  namespace?: string
  out?: string
  force?: boolean
  name?: string
  coordinator?: string
  agentTarget?: string
  sut?: boolean
  cell?: number
}

/**
 * `loadlab k8s export <scenario>`: writes the manifests of a distributed run into a folder and
 * prints how to build the image and apply them. Returns the exit code; throws UsageError or
 * ScenarioError (exit 2) for bad flags and scenarios, before anything is written.
 */
export async function k8sExport(scenarioArg: string, flags: K8sExportFlags): Promise<number> {
  const { out, force, ...exportFlags } = flags
  const explicitOut = out === undefined ? null : checkOutputFolder(out, { flag: '--out', force })
  // A token set here must be set for the coordinator too (LOADLAB_AGENT_TOKEN of `loadlab run`).
  const exported = await exportManifests({ scenario: scenarioArg, ...exportFlags, agentToken: process.env.LOADLAB_AGENT_TOKEN || undefined })
  // Replaced whole, never merged: a file left from an earlier export would otherwise be applied
  // by `kubectl apply -f` along with objects this export does not describe.
  const checked = explicitOut ?? checkOutputFolder(`k8s-${exported.base}`, { flag: '--out (default)', force })
  prepareOutputFolder(checked, 'k8s export')
  const outDir = checked.dir
  const files = writeManifestExport(exported, outDir)
  // Short paths when under the current folder, absolute otherwise (no ../../ chains).
  const rel = (p: string): string => {
    const r = path.relative(process.cwd(), p)
    return r === '' ? '.' : r.startsWith('..') ? p : r
  }
  const lines = [`wrote ${files.length} files into ${rel(outDir)}:`, ...files.map((f) => `  ${path.basename(f)}`)]
  if (exported.cell && exported.cell.count > 1) {
    lines.push(`the CRM is deployed with cell ${exported.cell.index} of ${exported.cell.count} (${exported.cell.label}); pick another with --cell`)
  }
  lines.push(
    '',
    `1. build the image from this LoadLab checkout and push it where the cluster pulls from:`,
    `   ${imageBuildCommand(exported.image, rel(path.join(outDir, 'Dockerfile')), rel(CHECKOUT))}`,
    `2. apply:   kubectl apply -f ${rel(outDir)}${exported.namespace === 'default' ? '' : `   (namespace ${exported.namespace} must exist)`}`,
    `3. follow:  kubectl get pods -n ${exported.namespace} -l app.kubernetes.io/instance=${exported.base}`,
    `4. remove:  kubectl delete -f ${rel(outDir)}`,
  )
  process.stdout.write(`${lines.join('\n')}\n`)
  return 0
}

function wholeNumber(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} "${value}" must be a whole number >= ${min}`)
    return n
  }
}

/** Registers `k8s export` on the root program. */
export function registerK8sCommand(program: Command, setExit: (code: number) => void): void {
  const k8s = program.command('k8s').description('more load than one machine: run the agents as a Kubernetes Indexed Job')
  k8s
    .command('export')
    .description("write the Kubernetes manifests of a distributed run (scenario ConfigMap, agents' Indexed Job, optionally the CRM) and the image's Dockerfile")
    .argument('<scenario>', 'scenario file or name')
    .requiredOption('--parallelism <n>', 'number of agent pods; pod i of N generates slice i of the load', wholeNumber('--parallelism', 1))
    .option('--image <image>', 'image the pods run (default loadlab:<version>; build it with the printed command)')
    .option('--namespace <ns>', 'namespace of every object (must exist)', 'default')
    .option('--out <dir>', 'output folder, new or empty (default ./k8s-<name>)')
    .option('--force', 'replace the output folder when it holds an earlier LoadLab output')
    .option('--name <name>', 'base of the object names (default loadlab-<scenario name>)')
    .option('--coordinator <url>', 'URL at which the pods reach the coordinator (default: a Service <name>-coordinator, written too)')
    .option(
      '--agent-target <url>',
      "where the pods reach the scenario's target, when not at its URL (which is then this machine's way in, e.g. a port-forward)",
    )
    .option('--sut', "also deploy the reference CRM with the scenario's topology (shards, replicas, balancer) and load it")
    .option('--cell <n>', 'with --sut: the matrix cell whose topology to deploy (1 = first)', wholeNumber('--cell', 1))
    .action(async (scenario: string, flags: K8sExportFlags) => {
      setExit(await k8sExport(scenario, flags))
    })
}
