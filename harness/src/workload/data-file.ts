import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'

// A data file of an HTTP scenario (k6's SharedArray, Gatling's feeders): read once when the
// scenario loads, into rows of column -> text. CSV has a header line; JSON is an array of flat
// objects (numbers and booleans become text, as templates produce text). Anything else is the
// user's mistake, reported with the file and the line or item.

export class DataFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DataFileError'
  }
}

export function readDataFile(file: string): Array<Record<string, string>> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as { code?: string }).code
    throw new DataFileError(
      code === 'ENOENT'
        ? `data file ${file} does not exist (paths are relative to the scenario file)`
        : `data file ${file} cannot be read: ${(error as Error).message}`,
    )
  }
  const rows = file.toLowerCase().endsWith('.json') ? parseJsonRows(file, text) : parseCsvRows(file, text)
  if (rows.length === 0) throw new DataFileError(`data file ${file} has no rows`)
  return rows
}

function parseCsvRows(file: string, text: string): Array<Record<string, string>> {
  try {
    return parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>
  } catch (error) {
    throw new DataFileError(`data file ${file} is not valid CSV with a header line: ${(error as Error).message}`)
  }
}

function parseJsonRows(file: string, text: string): Array<Record<string, string>> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new DataFileError(`data file ${file} is not valid JSON: ${(error as Error).message}`)
  }
  if (!Array.isArray(value)) throw new DataFileError(`data file ${file} must hold a JSON array of objects, e.g. [{"email": "a@example.com"}]`)
  return value.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new DataFileError(`data file ${file}: item ${i} is not an object`)
    const row: Record<string, string> = {}
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      if (v !== null && typeof v === 'object')
        throw new DataFileError(`data file ${file}: item ${i}, field "${k}" is nested; use flat objects (text, numbers, booleans)`)
      row[k] = v === null ? '' : String(v)
    }
    return row
  })
}
