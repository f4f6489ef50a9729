import { readFileSync } from 'node:fs'

/** LoadLab's version from the root package.json (this file is harness/{src,dist}/runner/). */
export function toolVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}
