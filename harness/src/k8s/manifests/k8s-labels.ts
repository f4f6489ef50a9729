import { toolVersion } from '../../runner/tool-version.js'

/** The part of a LoadLab deployment an object belongs to (`app.kubernetes.io/component`). */
export type Component = 'scenario' | 'agent' | 'coordinator' | 'shard' | 'replica' | 'balancer' | 'redis' | 'memcached' | 'entrypoint'

/** Label every object LoadLab writes carries: `kubectl get all -l app.kubernetes.io/instance=<name>` lists one export. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance'
export const COMPONENT_LABEL = 'app.kubernetes.io/component'

// Object names are DNS labels (lowercase letters, digits, '-'; at most 63). The longest name this
// export derives from the base is "<base>-coordinator", and an Indexed Job's pods are named
// "<base>-agents-<index>-<random>" with a hostname "<base>-agents-<index>", so the base stays
// well below 63 to leave room for those suffixes.
const MAX_BASE_LENGTH = 40
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/

/** A base name for the objects of one scenario: "loadlab-<scenario name as a DNS label>". */
export function defaultBaseName(scenarioName: string): string {
  const slug = scenarioName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  return `loadlab-${slug}`.slice(0, MAX_BASE_LENGTH).replace(/-+$/, '')
}

/** Why `name` cannot be a base name, or null when it can (checked once, where the user gives it). */
export function baseNameProblem(name: string): string | null {
  if (name.length > MAX_BASE_LENGTH) return `at most ${MAX_BASE_LENGTH} characters (got ${name.length})`
  if (!DNS_LABEL.test(name)) return 'lowercase letters, digits and "-", starting with a letter and ending with a letter or digit'
  return null
}

/** Recommended Kubernetes labels for one object of an export. */
export function labelsFor(base: string, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'loadlab',
    [INSTANCE_LABEL]: base,
    [COMPONENT_LABEL]: component,
    'app.kubernetes.io/managed-by': 'loadlab',
    'app.kubernetes.io/version': toolVersion(),
  }
}

/** The labels that select one component's pods (stable across LoadLab versions, unlike labelsFor). */
export function selectorFor(base: string, component: Component): Record<string, string> {
  return { [INSTANCE_LABEL]: base, [COMPONENT_LABEL]: component }
}

/** A label selector string for the API (`a=b,c=d`). */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
}
