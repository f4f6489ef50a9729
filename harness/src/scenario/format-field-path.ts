/**
 * Renders a validation path the way a user would write it in the scenario file:
 * ['matrix', 'cache.strategy', 1] -> `matrix["cache.strategy"][1]`.
 */
export function formatFieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(String(segment))}]`
  }
  return out === '' ? '(the scenario object)' : out
}
