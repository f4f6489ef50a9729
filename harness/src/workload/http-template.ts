import { randomUUID } from 'node:crypto'
import type { SeededRandom } from '../random/seeded-random.js'

// `${...}` templates in paths, query values, headers and bodies, compiled once per run into
// literal parts and lookups, so a request costs string concatenation and no parsing. What may
// stand between the braces:
//   uuid                  a random UUID (v4), new at every use
//   seq                   the iteration's number, unique across load agents
//   randomInt(1,100)      a whole number in the range, both ends included
//   env.NAME              an environment variable the scenario names in `env`
//   set.column            the column of the iteration's row of data set `set`
//   name                  a variable an earlier step of the same flow extracted

/** What a template reads while one iteration runs. */
export interface TemplateScope {
  vars: Map<string, string>
  rows: Record<string, Record<string, string> | undefined>
  seq: number
  env: Record<string, string>
  rng: SeededRandom
}

export type TemplateReference =
  | { kind: 'uuid' }
  | { kind: 'seq' }
  | { kind: 'randomInt'; min: number; max: number }
  | { kind: 'env'; name: string }
  | { kind: 'data'; set: string; column: string }
  | { kind: 'var'; name: string }

const PLACEHOLDER = /\$\{([^}]*)\}/g
const IDENTIFIER = /^[A-Za-z_][\w-]*$/

/** Parses what stands between `${` and `}`; throws an Error that says which forms exist. */
export function parseReference(text: string): TemplateReference {
  const t = text.trim()
  if (t === 'uuid') return { kind: 'uuid' }
  if (t === 'seq') return { kind: 'seq' }
  const range = /^randomInt\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)$/.exec(t)
  if (range) {
    const min = Number(range[1])
    const max = Number(range[2])
    if (max < min) throw new Error(`\${${t}}: the range's end must not be below its start`)
    return { kind: 'randomInt', min, max }
  }
  const dotted = /^([A-Za-z_][\w-]*)\.([^.\s]+)$/.exec(t)
  if (dotted) return dotted[1] === 'env' ? { kind: 'env', name: dotted[2]! } : { kind: 'data', set: dotted[1]!, column: dotted[2]! }
  if (IDENTIFIER.test(t)) return { kind: 'var', name: t }
  throw new Error(
    `\${${t}} is not a template value; use \${uuid}, \${seq}, \${randomInt(MIN,MAX)}, \${env.NAME}, \${DATASET.COLUMN} or \${VARIABLE} (extracted by an earlier step)`,
  )
}

/** Every reference in a template text, in order (throws like parseReference). */
export function templateReferences(text: string): TemplateReference[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => parseReference(m[1]!))
}

export type CompiledTemplate = (scope: TemplateScope) => string

function lookup(ref: TemplateReference): (scope: TemplateScope) => string {
  switch (ref.kind) {
    case 'uuid':
      return () => randomUUID()
    case 'seq':
      return (s) => String(s.seq)
    case 'randomInt': {
      const span = ref.max - ref.min + 1
      return (s) => String(ref.min + Math.floor(s.rng.next() * span))
    }
    case 'env':
      return (s) => s.env[ref.name] ?? ''
    case 'data':
      return (s) => s.rows[ref.set]?.[ref.column] ?? ''
    case 'var':
      return (s) => s.vars.get(ref.name) ?? ''
  }
}

/**
 * Compiles a template; `encode` is applied to every substituted value (not to the literal text):
 * URL-encoding in paths and query values, stripping line breaks in headers.
 */
export function compileTemplate(text: string, encode: (value: string) => string = (v) => v): CompiledTemplate {
  const parts: Array<string | ((s: TemplateScope) => string)> = []
  let last = 0
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(text.slice(last, m.index))
    parts.push(lookup(parseReference(m[1]!)))
    last = m.index + m[0].length
  }
  if (last < text.length) parts.push(text.slice(last))
  if (parts.length === 0) return () => ''
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const constant = parts[0]
    return () => constant
  }
  return (scope) => {
    let out = ''
    for (const p of parts) out += typeof p === 'string' ? p : encode(p(scope))
    return out
  }
}

/** Compiles every string inside a JSON value; the result renders the JSON text. */
export function compileJsonTemplate(value: unknown): CompiledTemplate {
  const text = JSON.stringify(value)
  if (!PLACEHOLDER.test(text)) return () => text
  PLACEHOLDER.lastIndex = 0
  // Substituted values land inside JSON strings: escape them as JSON string content.
  return compileTemplate(text, (v) => JSON.stringify(v).slice(1, -1))
}
