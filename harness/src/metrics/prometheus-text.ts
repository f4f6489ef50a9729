// Reads the Prometheus text exposition format (version 0.0.4) that every LoadLab member serves
// on /metrics. Only samples are needed: HELP/TYPE/comment lines are skipped. Hand-written
// because no well-kept npm package parses the format without pulling a server framework in.

export interface PromSample {
  /** Metric name including suffixes such as _total, _bucket, _sum. */
  name: string
  labels: Record<string, string>
  value: number
}

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY
    case '-Inf':
      return Number.NEGATIVE_INFINITY
    case 'NaN':
      return Number.NaN
    default:
      return Number(text)
  }
}

/** Parses the exposition text; malformed lines are skipped (a scrape must not fail on one odd line). */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const sample = parseLine(line)
    if (sample) out.push(sample)
  }
  return out
}

function parseLine(line: string): PromSample | undefined {
  let i = 0
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i]!)) i++
  const name = line.slice(0, i)
  if (!name || !/^[a-zA-Z_:]/.test(name)) return undefined
  const labels: Record<string, string> = {}
  if (line[i] === '{') {
    i++
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++
      if (line[i] === '}') {
        i++
        break
      }
      const keyStart = i
      while (i < line.length && /[a-zA-Z0-9_]/.test(line[i]!)) i++
      const key = line.slice(keyStart, i)
      while (line[i] === ' ') i++
      if (!key || line[i] !== '=') return undefined
      i++
      while (line[i] === ' ') i++
      if (line[i] !== '"') return undefined
      i++
      let value = ''
      for (;;) {
        if (i >= line.length) return undefined
        const c = line[i++]
        if (c === '"') break
        if (c === '\\') {
          const e = line[i++]
          value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : `\\${e ?? ''}`
        } else value += c
      }
      labels[key] = value
    }
  }
  const rest = line.slice(i).trim().split(/\s+/)
  if (rest.length < 1 || rest[0] === '') return undefined
  const value = parseValue(rest[0]!)
  if (Number.isNaN(value) && rest[0] !== 'NaN') return undefined
  return { name, labels, value }
}

/** Sum of every sample named `name` whose labels include `match` (a counter over all its label sets). */
export function sumSamples(samples: readonly PromSample[], name: string, match: Record<string, string> = {}): number | undefined {
  let sum: number | undefined
  for (const s of samples) {
    if (s.name !== name) continue
    if (!Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue
    sum = (sum ?? 0) + s.value
  }
  return sum
}

/** Sums samples named `name` grouped by the value of label `by`. */
export function sumBy(samples: readonly PromSample[], name: string, by: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of samples) {
    if (s.name !== name) continue
    const key = s.labels[by]
    if (key === undefined) continue
    out[key] = (out[key] ?? 0) + s.value
  }
  return out
}
