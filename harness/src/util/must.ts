/**
 * `value`, or an Error saying `why` it should have been there. For a lookup the types cannot
 * prove (an index into a list built alongside, a key another module guarantees): a broken
 * promise then fails loudly at the lookup instead of as a TypeError or NaN further on.
 */
export function must<T>(value: T | undefined, why: string): T {
  if (value === undefined) throw new Error(`internal error: ${why}`)
  return value
}
