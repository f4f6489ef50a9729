// Scenario fields and matrix paths that were renamed so each word has one meaning: a balancer's
// "engine" is its `implementation` (the load engine is another thing), and the emulated service
// time of replicas and shards is `emulation` (`capacity` is the capacity plan only); the load
// engine named `open` is `native` (`open` is the load model). Files written with the old
// spellings still load: the old spelling is moved to the new one before validation, and the run
// prints a note once.

/** Old matrix path prefix -> new one. */
const MATRIX_PATH_RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['balancer.engine', 'balancer.implementation'],
  ['capacity.', 'emulation.'],
]

export interface RenamedSpellings {
  /** The scenario object with every old spelling moved to the new one (a copy; the input is not changed). */
  input: unknown
  /** One note per old spelling used: `topology.capacity is deprecated, write topology.emulation instead`. */
  deprecations: string[]
}

function deprecated(old: string, current: string): string {
  return `${old} is deprecated, write ${current} instead`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * `object` with `old` renamed to `current` (a copy, keys in the same order), or null when the
 * old key is absent. With both keys, nothing moves: the strict schema then names the old key as
 * one too many.
 */
function renamedKey(object: Record<string, unknown>, old: string, current: string): Record<string, unknown> | null {
  if (!(old in object) || current in object) return null
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k === old ? current : k, v]))
}

/** The current spelling of a matrix path, or null when it is current already. */
function currentMatrixPath(path: string): string | null {
  const rename = MATRIX_PATH_RENAMES.find(([old]) => path === old || (old.endsWith('.') && path.startsWith(old)))
  return rename ? rename[1] + path.slice(rename[0].length) : null
}

function renameMatrixPaths(matrix: unknown, label: string, notes: Set<string>): unknown {
  if (!isRecord(matrix)) return matrix
  let result = matrix
  for (const path of Object.keys(matrix)) {
    const current = currentMatrixPath(path)
    if (current === null) continue
    const renamed = renamedKey(result, path, current)
    if (renamed) {
      result = renamed
      notes.add(deprecated(`${label} key '${path}'`, `'${current}'`))
    }
  }
  return result
}

/**
 * A threshold key's run selectors in the current spellings: a matrix key used as a tag
 * (`{balancer.engine:haproxy}`) and the engine tag's value (`{engine:open}`). Anything that is
 * not `name{tag:value,...}` is left for the threshold parser to refuse.
 */
function renameThresholdKey(key: string, notes: Set<string>): string {
  const m = /^([^{]+)\{(.*)\}$/.exec(key)
  if (!m) return key
  const tags = m[2]!.split(',').map((part) => {
    const idx = part.indexOf(':')
    if (idx < 0) return part
    const tag = part.slice(0, idx).trim()
    const value = part.slice(idx + 1).trim()
    const currentTag = currentMatrixPath(tag)
    if (currentTag !== null) {
      notes.add(deprecated(`threshold tag '${tag}'`, `'${currentTag}'`))
      return `${currentTag}:${value}`
    }
    if (tag === 'engine' && value === 'open') {
      notes.add(deprecated("threshold tag 'engine:open'", "'engine:native'"))
      return 'engine:native'
    }
    return part
  })
  return `${m[1]}{${tags.join(',')}}`
}

/**
 * The scenario as the current spellings write it (objects on the way copied, the input left
 * as it is), and a note for each old spelling it used. Called by validateScenario before the
 * schema check.
 */
export function renameDeprecatedSpellings(scenario: unknown): RenamedSpellings {
  if (!isRecord(scenario)) return { input: scenario, deprecations: [] }
  const input: Record<string, unknown> = { ...scenario }
  const notes = new Set<string>()
  if (isRecord(input.topology)) {
    let topology = { ...input.topology }
    const balancer = isRecord(topology.balancer) ? renamedKey(topology.balancer, 'engine', 'implementation') : null
    if (balancer) {
      topology.balancer = balancer
      notes.add(deprecated('topology.balancer.engine', 'topology.balancer.implementation'))
    }
    const emulated = renamedKey(topology, 'capacity', 'emulation')
    if (emulated) {
      topology = emulated
      notes.add(deprecated('topology.capacity', 'topology.emulation'))
    }
    input.topology = topology
  }
  if ('matrix' in input) input.matrix = renameMatrixPaths(input.matrix, 'matrix', notes)
  if (isRecord(input.thresholds)) {
    input.thresholds = Object.fromEntries(Object.entries(input.thresholds).map(([key, list]) => [renameThresholdKey(key, notes), list]))
  }
  if (isRecord(input.quick) && 'matrix' in input.quick) input.quick = { ...input.quick, matrix: renameMatrixPaths(input.quick.matrix, 'quick.matrix', notes) }
  return { input, deprecations: [...notes] }
}
