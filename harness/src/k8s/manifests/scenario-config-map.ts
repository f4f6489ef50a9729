import type { V1ConfigMap } from '@kubernetes/client-node'
import { UsageError } from '../../runner/usage-error.js'
import { BUNDLE_ENTRY, type ScenarioBundle } from './bundle-scenario.js'
import { labelsFor } from './k8s-labels.js'

// The API server rejects a ConfigMap whose data and binaryData together exceed 1 MiB.
const CONFIG_MAP_LIMIT_BYTES = 1024 * 1024

/** Name of the ConfigMap that carries the scenario bundle. */
export function scenarioConfigMapName(base: string): string {
  return `${base}-scenario`
}

/**
 * The scenario bundle and its data files as one ConfigMap, mounted into every agent pod as a
 * folder: text files go to `data`, other files to `binaryData`. Throws UsageError (exit 2) when
 * it would not fit the 1 MiB a ConfigMap may hold, naming the largest files.
 */
export function scenarioConfigMap(base: string, namespace: string, bundle: ScenarioBundle): V1ConfigMap {
  const data: Record<string, string> = { [BUNDLE_ENTRY]: bundle.code }
  const binaryData: Record<string, string> = {}
  for (const file of bundle.dataFiles) {
    const text = asText(file.content)
    if (text === null) binaryData[file.key] = file.content.toString('base64')
    else data[file.key] = text
  }
  const sizes = [
    { name: `${BUNDLE_ENTRY} (the bundled scenario)`, bytes: Buffer.byteLength(bundle.code) },
    ...bundle.dataFiles.map((f) => ({ name: f.source, bytes: f.content.length })),
  ]
  const total = sizes.reduce((sum, s) => sum + s.bytes, 0)
  if (total > CONFIG_MAP_LIMIT_BYTES) {
    const largest = [...sizes].sort((a, b) => b.bytes - a.bytes).slice(0, 3)
    throw new UsageError(
      `the scenario and its data files take ${kib(total)}, more than the 1 MiB a Kubernetes ConfigMap holds ` +
        `(largest: ${largest.map((s) => `${s.name} ${kib(s.bytes)}`).join(', ')}). ` +
        'Make the data files smaller (generate rows in the scenario instead of reading them), or bake them into the agent image',
    )
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: scenarioConfigMapName(base), namespace, labels: labelsFor(base, 'scenario') },
    data,
    ...(Object.keys(binaryData).length > 0 ? { binaryData } : {}),
  }
}

function asText(content: Buffer): string | null {
  if (content.includes(0)) return null
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content)
  } catch {
    return null
  }
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`
}
